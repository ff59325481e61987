namespace OrleansRaw.Bench.Harness;

/// <summary>
/// Where a development system's services are — a PostgreSQL primary, two streaming replicas, Redis — and the settings
/// that point the silos and the API at them. <c>./run</c>, <c>./test</c> and <c>./bench</c> each start one on loopback
/// ports of their own; docker-compose.yml runs one in containers. The scripts build the same settings in
/// <c>scripts/lib/topology.sh</c>; a unit test holds that file, the appsettings files and docker-compose.yml to this type.
/// </summary>
public sealed record DevTopology(DevTopology.Node Primary, DevTopology.Node Replica1, DevTopology.Node Replica2, DevTopology.Node Redis)
{
    public const string Loopback = "127.0.0.1";
    public const string Username = "postgres";
    public const string Database = "orleansraw";
    public const string Replica1Name = "replica-1";
    public const string Replica2Name = "replica-2";

    /// <summary>The cluster and service ids the hosts use unless told otherwise.</summary>
    public const string ClusterId = "orleansraw-dev";
    public const string ServiceId = "orleansraw";

    /// <summary><c>./run</c> and <c>scripts/services</c> on their own.</summary>
    public static DevTopology Development { get; } = OnLoopback(55432, 55433, 55434, 56379);

    /// <summary><c>./test</c>: below Linux's ephemeral range (32768–60999), where no outgoing connection can hold one.</summary>
    public static DevTopology Tests { get; } = OnLoopback(27432, 27433, 27434, 27379);

    /// <summary><c>./bench</c>: below the ephemeral range too, and apart from the other two so all can run at once.</summary>
    public static DevTopology Bench { get; } = OnLoopback(24432, 24433, 24434, 24379);

    /// <summary>docker-compose.yml: each service on its image's usual port, reached by its service name.</summary>
    public static DevTopology InContainers { get; } = new(new("primary", 5432), new(Replica1Name, 5432), new(Replica2Name, 5432), new("redis", 6379));

    public static DevTopology OnLoopback(int primaryPort, int replica1Port, int replica2Port, int redisPort) =>
        new(new(Loopback, primaryPort), new(Loopback, replica1Port), new(Loopback, replica2Port), new(Loopback, redisPort));

    /// <summary>
    /// The ports the scripts export to everything they start (<c>PG_PRIMARY_PORT</c>, <c>PG_REPLICA1_PORT</c>,
    /// <c>PG_REPLICA2_PORT</c>, <c>REDIS_PORT</c>), each unset one taken from <paramref name="defaults"/>.
    /// </summary>
    public static DevTopology FromEnvironment(DevTopology defaults) => OnLoopback(
        Port("PG_PRIMARY_PORT", defaults.Primary.Port),
        Port("PG_REPLICA1_PORT", defaults.Replica1.Port),
        Port("PG_REPLICA2_PORT", defaults.Replica2.Port),
        Port("REDIS_PORT", defaults.Redis.Port));

    public string RedisConnection => $"{Redis.Host}:{Redis.Port}";

    /// <summary>The primary as the hosts find it: whichever node is not a standby, so a failover needs no restart.</summary>
    public string PrimaryConnection(string connectionOptions = "") =>
        $"Host={Primary.Host}:{Primary.Port},{Replica1.Host}:{Replica1.Port},{Replica2.Host}:{Replica2.Port};Target Session Attributes=primary;Host Recheck Seconds=1;"
        + $"Username={Username};Database={Database}" + Options(connectionOptions);

    /// <summary>One node, whatever its role.</summary>
    public static string NodeConnection(Node node, string connectionOptions = "", string database = Database) =>
        $"Host={node.Host};Port={node.Port};Username={Username};Database={database}" + Options(connectionOptions);

    /// <summary>
    /// The configuration that points a silo or the API at these services (<c>Database:Primary</c>,
    /// <c>Database:Replicas:N:Name</c> and <c>:ConnectionString</c>, <c>Redis:ConnectionString</c>), with
    /// <paramref name="connectionOptions"/> (e.g. <c>Maximum Pool Size=50</c>) on every connection string.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings(string connectionOptions = "") => new Dictionary<string, string>
    {
        ["Database:Primary"] = PrimaryConnection(connectionOptions),
        ["Database:Replicas:0:Name"] = Replica1Name,
        ["Database:Replicas:0:ConnectionString"] = NodeConnection(Replica1, connectionOptions),
        ["Database:Replicas:1:Name"] = Replica2Name,
        ["Database:Replicas:1:ConnectionString"] = NodeConnection(Replica2, connectionOptions),
        ["Redis:ConnectionString"] = RedisConnection,
    };

    /// <summary>What <c>scripts/services</c> needs to find (or start) these services, keeping its data in <paramref name="dataDirectory"/>.</summary>
    public IReadOnlyDictionary<string, string> ServicesEnvironment(string dataDirectory) => new Dictionary<string, string>
    {
        ["PG_PRIMARY_PORT"] = Primary.Port.ToString(),
        ["PG_REPLICA1_PORT"] = Replica1.Port.ToString(),
        ["PG_REPLICA2_PORT"] = Replica2.Port.ToString(),
        ["REDIS_PORT"] = Redis.Port.ToString(),
        ["ORLEANSRAW_DATA"] = dataDirectory,
    };

    private static string Options(string connectionOptions) => connectionOptions.Length == 0 ? "" : ";" + connectionOptions;

    private static int Port(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var port) ? port : fallback;

    public sealed record Node(string Host, int Port);
}
