namespace OrleansRaw.Silo;

/// <summary>This silo's endpoints, bound from the <c>Orleans</c> section (which also holds the cluster's identity, <see cref="Routing.ClusterConnectionOptions"/>).</summary>
public sealed class SiloOptions
{
    public const string SectionName = "Orleans";

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos and clients use to reach this silo.</summary>
    public string AdvertisedHost { get; set; } = "127.0.0.1";

    /// <summary>Listen on every interface (containers) rather than only the advertised address.</summary>
    public bool ListenOnAnyHostAddress { get; set; }

    /// <summary>Report to the Orleans dashboard the API serves; it times every grain call, which costs CPU on each.</summary>
    public bool Dashboard { get; set; } = true;
}
