namespace OrleansRaw.Bench.Harness;

/// <summary>
/// Where the benchmark's own system lives: ports and folders of its own, never the development defaults nor the
/// tests'. <c>./bench</c> sets the environment; the defaults below match it.
/// </summary>
public sealed record BenchEnvironment(
    string Root,
    int PrimaryPort,
    int Replica1Port,
    int Replica2Port,
    int RedisPort,
    int ApiPort,
    int SiloBasePort,
    int GatewayBasePort,
    int PgpoolPort,
    int PcpPort,
    string DataDirectory,
    string RunDirectory,
    string Configuration)
{
    public const string ServiceId = "orleansraw-bench";

    public static BenchEnvironment FromEnvironment(string root) => new(
        root,
        Port("PG_PRIMARY_PORT", 24432),
        Port("PG_REPLICA1_PORT", 24433),
        Port("PG_REPLICA2_PORT", 24434),
        Port("REDIS_PORT", 24379),
        Port("BENCH_API_PORT", 24080),
        Port("BENCH_SILO_BASE_PORT", 23111),
        Port("BENCH_GATEWAY_BASE_PORT", 23200),
        Port("BENCH_PGPOOL_PORT", 24999),
        Port("BENCH_PCP_PORT", 24898),
        Environment.GetEnvironmentVariable("ORLEANSRAW_DATA") ?? Path.Combine(root, ".data", "bench"),
        Environment.GetEnvironmentVariable("ORLEANSRAW_RUN") ?? Path.Combine(root, ".data", "bench-run"),
        Environment.GetEnvironmentVariable("CONFIGURATION") ?? "Release");

    public string Redis => $"127.0.0.1:{RedisPort}";

    public string ApiUrl => $"http://127.0.0.1:{ApiPort}";

    public string LogDirectory => Path.Combine(RunDirectory, "logs");

    /// <summary>pgpool's configuration, PID file, sockets and log: a folder of its own next to the databases.</summary>
    public string PgpoolDirectory => Path.Combine(Root, ".data", "bench", "pgpool");

    /// <summary>Any node that is the primary, as <c>./run</c> configures it.</summary>
    public string PrimaryConnection =>
        $"Host=127.0.0.1:{PrimaryPort},127.0.0.1:{Replica1Port},127.0.0.1:{Replica2Port};Target Session Attributes=primary;Host Recheck Seconds=1;"
        + "Username=postgres;Database=orleansraw;Maximum Pool Size=50";

    public string NodeConnection(int port, string database = "orleansraw") =>
        $"Host=127.0.0.1;Port={port};Username=postgres;Database={database};Maximum Pool Size=50";

    /// <summary>Through pgpool; the application name tells pgpool which of the API's pools a session belongs to.</summary>
    public string PgpoolConnection(string applicationName) =>
        $"Host=127.0.0.1;Port={PgpoolPort};Username=postgres;Database=orleansraw;Maximum Pool Size={Pgpool.ClientPoolSize};Application Name={applicationName}";

    public IReadOnlyDictionary<string, string> ServicesEnvironment => new Dictionary<string, string>
    {
        ["PG_PRIMARY_PORT"] = PrimaryPort.ToString(),
        ["PG_REPLICA1_PORT"] = Replica1Port.ToString(),
        ["PG_REPLICA2_PORT"] = Replica2Port.ToString(),
        ["REDIS_PORT"] = RedisPort.ToString(),
        ["ORLEANSRAW_DATA"] = DataDirectory,
    };

    private static int Port(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var port) ? port : fallback;
}
