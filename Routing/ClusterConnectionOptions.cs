namespace OrleansRaw.Routing;

/// <summary>Which Orleans cluster silos join and API servers connect to, bound from the <c>Orleans</c> section.</summary>
public sealed class ClusterConnectionOptions
{
    public const string SectionName = "Orleans";

    public string ClusterId { get; set; } = "orleansraw-dev";

    public string ServiceId { get; set; } = "orleansraw";
}
