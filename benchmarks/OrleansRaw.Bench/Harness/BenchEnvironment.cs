namespace OrleansRaw.Bench.Harness;

/// <summary>
/// Where the benchmark's own system lives: ports and folders of its own, never the development defaults nor the
/// tests'. <c>./bench</c> sets the environment; the defaults (<see cref="DevTopology.Bench"/> and below) match it.
/// </summary>
public sealed record BenchEnvironment(
    string Root,
    DevTopology Topology,
    int ApiPort,
    int SiloBasePort,
    int GatewayBasePort,
    int SiloMetricsBasePort,
    int PgpoolPort,
    int PcpPort,
    string DataDirectory,
    string RunDirectory,
    string Configuration)
{
    public const string ServiceId = "orleansraw-bench";

    /// <summary>Every connection the API and the silos open: the same pools as under <c>./run</c>.</summary>
    public const string ConnectionOptions = "Maximum Pool Size=50";

    public static BenchEnvironment FromEnvironment(string root) => new(
        root,
        DevTopology.FromEnvironment(DevTopology.Bench),
        Port("BENCH_API_PORT", 24080),
        Port("BENCH_SILO_BASE_PORT", 23111),
        Port("BENCH_GATEWAY_BASE_PORT", 23200),
        Port("BENCH_SILO_METRICS_BASE_PORT", 23180),
        Port("BENCH_PGPOOL_PORT", 24999),
        Port("BENCH_PCP_PORT", 24898),
        Environment.GetEnvironmentVariable("ORLEANSRAW_DATA") ?? Path.Combine(root, ".data", "bench"),
        Environment.GetEnvironmentVariable("ORLEANSRAW_RUN") ?? Path.Combine(root, ".data", "bench-run"),
        Environment.GetEnvironmentVariable("CONFIGURATION") ?? "Release");

    public int PrimaryPort => Topology.Primary.Port;

    public int Replica1Port => Topology.Replica1.Port;

    public int Replica2Port => Topology.Replica2.Port;

    public int RedisPort => Topology.Redis.Port;

    public string Redis => Topology.RedisConnection;

    public string ApiUrl => $"http://127.0.0.1:{ApiPort}";

    public string LogDirectory => Path.Combine(RunDirectory, "logs");

    /// <summary>pgpool's configuration, PID file, sockets and log: a folder of its own next to the databases.</summary>
    public string PgpoolDirectory => Path.Combine(Root, ".data", "bench", "pgpool");

    /// <summary>The silos' and the API's database and Redis settings, as <c>./run</c> gives them.</summary>
    public IReadOnlyDictionary<string, string> Settings => Topology.Settings(ConnectionOptions);

    /// <summary>A node's own database or another (e.g. <c>postgres</c>), for the harness's own sessions.</summary>
    public static string NodeConnection(DevTopology.Node node, string database) => DevTopology.NodeConnection(node, ConnectionOptions, database);

    /// <summary>Through pgpool; the application name tells pgpool which of the API's pools a session belongs to.</summary>
    public string PgpoolConnection(string applicationName) =>
        DevTopology.NodeConnection(new(DevTopology.Loopback, PgpoolPort), $"Maximum Pool Size={Pgpool.ClientPoolSize};Application Name={applicationName}");

    public IReadOnlyDictionary<string, string> ServicesEnvironment => Topology.ServicesEnvironment(DataDirectory);

    private static int Port(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var port) ? port : fallback;
}
