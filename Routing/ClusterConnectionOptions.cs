namespace OrleansRaw.Routing;

/// <summary>
/// Which Orleans cluster silos join and API servers connect to, bound from the <c>Orleans</c> section (the keys Orleans
/// itself reads there). Unset, each side keeps Orleans' own default, so a silo and a client that read the same
/// settings agree whether the section is there or not.
/// </summary>
internal sealed class ClusterConnectionOptions
{
    public const string SectionName = "Orleans";

    public string? ClusterId { get; set; }

    public string? ServiceId { get; set; }

    /// <summary>Puts the configured ids, and only those, on Orleans' cluster options.</summary>
    public void ApplyTo(Orleans.Configuration.ClusterOptions cluster)
    {
        if (!string.IsNullOrWhiteSpace(ClusterId))
        {
            cluster.ClusterId = ClusterId;
        }

        if (!string.IsNullOrWhiteSpace(ServiceId))
        {
            cluster.ServiceId = ServiceId;
        }
    }
}
