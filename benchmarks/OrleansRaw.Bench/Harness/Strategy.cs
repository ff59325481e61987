namespace OrleansRaw.Bench.Harness;

/// <summary>
/// One way of routing reads: a <c>Consistency</c> configuration of OrleansRaw, pgpool-II deciding alone (the API in
/// Eventual mode with every data source pointing at pgpool), or no routing at all (<see cref="Direct"/>).
/// </summary>
/// <param name="Key">Short name for the command line (<c>--only</c>).</param>
/// <param name="Label">Name in the report.</param>
/// <param name="Settings">Configuration for silos and API (keys in <c>Section:Key</c> form).</param>
/// <param name="PgpoolWriteMode">pgpool's <c>disable_load_balance_on_write</c>, or null when pgpool is not used.</param>
public sealed record Strategy(string Key, string Label, IReadOnlyDictionary<string, string> Settings, string? PgpoolWriteMode = null)
{
    public bool UsesPgpool => PgpoolWriteMode is not null;

    /// <summary>False for <see cref="Direct"/>: the API runs without an Orleans cluster, so no silos are started.</summary>
    public bool UsesCluster => this != Direct;

    /// <summary>
    /// The baseline the routing layer's cost is measured against: the same HTTP contract with no grains and no routing,
    /// every read on the primary. Not a consistency mode: the demo API registers the layer without its routing
    /// (<c>Bench:Baseline=Direct</c>, WebApi/Hosting/DirectBaseline.cs).
    /// </summary>
    public static readonly Strategy Direct = new("direct", "Direct (no routing, all primary)", new Dictionary<string, string> { ["Bench:Baseline"] = "Direct" });

    public static readonly Strategy Eventual = Mode("eventual", "Eventual", "Eventual");

    public static readonly Strategy AlwaysPrimary = Mode("always-primary", "AlwaysPrimary", "AlwaysPrimary");

    public static readonly Strategy Window5s = Mode("window-5s", "Window 5 s", "Window", ("Consistency:GracePeriod", "00:00:05"));

    public static readonly Strategy WindowAuto = Mode("window-auto", "Window auto", "Window", ("Consistency:GracePeriod", "auto"));

    public static readonly Strategy Lsn0 = Mode("lsn-0", "Lsn, wait 0", "Lsn", ("Consistency:MaxReplicaWait", "00:00:00"));

    public static readonly Strategy Lsn100 = Mode("lsn-100", "Lsn, wait 100 ms", "Lsn", ("Consistency:MaxReplicaWait", "00:00:00.100"));

    /// <summary>Lsn as above without monotonic reads: what keeping the user's read position costs other users' reads.</summary>
    public static readonly Strategy Lsn100NoMonotonic = Mode("lsn-100-no-monotonic", "Lsn, wait 100 ms, no monotonic reads", "Lsn",
        ("Consistency:MaxReplicaWait", "00:00:00.100"), ("Consistency:MonotonicReads", "false"));

    public static readonly Strategy PgpoolTransaction = new("pgpool-transaction", "pgpool (transaction)",
        new Dictionary<string, string> { ["Consistency:Mode"] = "Eventual" }, "transaction");

    public static readonly Strategy PgpoolAlways = new("pgpool-always", "pgpool (always)",
        new Dictionary<string, string> { ["Consistency:Mode"] = "Eventual" }, "always");

    /// <summary>
    /// Every strategy, the two baselines first: the cells' ratios are to <see cref="Eventual"/> (staleness, latency), the
    /// cost figures' to <see cref="Direct"/> (CPU, capacity).
    /// </summary>
    public static readonly IReadOnlyList<Strategy> All = [Eventual, Direct, AlwaysPrimary, Window5s, WindowAuto, Lsn0, Lsn100, Lsn100NoMonotonic, PgpoolTransaction, PgpoolAlways];

    /// <summary>What <c>./bench</c> runs without <c>--only</c>: the others show little the report's text needs.</summary>
    public static readonly IReadOnlyList<Strategy> Default = [Eventual, Direct, AlwaysPrimary, Window5s, Lsn100, Lsn100NoMonotonic, PgpoolTransaction];

    /// <summary>Always run, whatever <c>--only</c> says: every ratio in the report is to one of them.</summary>
    public bool IsBaseline => this == Eventual || this == Direct;

    private static Strategy Mode(string key, string label, string mode, params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string> { ["Consistency:Mode"] = mode };
        foreach (var (k, v) in more)
        {
            settings[k] = v;
        }

        return new Strategy(key, label, settings);
    }
}
