namespace OrleansRaw.Bench.Harness;

/// <summary>
/// Where a development system's services are — a PostgreSQL primary, its streaming replicas (two unless told
/// otherwise), Redis — and the settings that point the silos and the API at them. <c>./run</c>, <c>./test</c> and
/// <c>./bench</c> each start one on loopback ports of their own; docker-compose.yml runs one in containers. The scripts
/// build the same settings in <c>scripts/lib/topology.sh</c>; a unit test holds that file, the appsettings files and
/// docker-compose.yml to this type.
/// </summary>
public sealed record DevTopology(DevTopology.Node Primary, IReadOnlyList<DevTopology.Node> Replicas, DevTopology.Node Redis)
{
    public const string Loopback = "127.0.0.1";
    public const string Username = "postgres";
    public const string Database = "orleansraw";
    public const string Replica1Name = "replica-1";
    public const string Replica2Name = "replica-2";

    /// <summary>The most replicas a set may have: the primary allows 10 WAL senders, and a base backup takes two.</summary>
    public const int MaxReplicas = 8;

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
    public static DevTopology InContainers { get; } = new(new("primary", 5432), [new(Replica1Name, 5432), new(Replica2Name, 5432)], new("redis", 6379));

    public Node Replica1 => Replicas[0];

    public Node Replica2 => Replicas[1];

    /// <summary>The name the replica at <paramref name="index"/> (from 0) goes by: <c>replica-1</c>, <c>replica-2</c>, ...</summary>
    public static string ReplicaName(int index) => $"replica-{index + 1}";

    /// <summary>A primary, two replicas and Redis on loopback.</summary>
    public static DevTopology OnLoopback(int primaryPort, int replica1Port, int replica2Port, int redisPort) =>
        new(new(Loopback, primaryPort), [new(Loopback, replica1Port), new(Loopback, replica2Port)], new(Loopback, redisPort));

    /// <summary>
    /// The same services with <paramref name="count"/> replicas: the first ones where they are, each further one on
    /// the port after the one before it (as <c>scripts/lib/topology.sh</c> numbers them).
    /// </summary>
    public DevTopology WithReplicas(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxReplicas);
        var replicas = Replicas.Take(count).ToList();
        while (replicas.Count < count)
        {
            replicas.Add(replicas[^1] with { Port = replicas[^1].Port + 1 });
        }

        return this with { Replicas = replicas };
    }

    /// <summary>
    /// The ports the scripts export to everything they start (<c>PG_PRIMARY_PORT</c>, <c>PG_REPLICAS</c>,
    /// <c>PG_REPLICA1_PORT</c> and on, <c>REDIS_PORT</c>), each unset one taken from <paramref name="defaults"/>.
    /// </summary>
    public static DevTopology FromEnvironment(DevTopology defaults) => FromVariables(Environment.GetEnvironmentVariable, defaults);

    /// <summary><see cref="FromEnvironment"/> with the variables from <paramref name="variable"/>.</summary>
    public static DevTopology FromVariables(Func<string, string?> variable, DevTopology defaults)
    {
        int Port(string name, int fallback) => int.TryParse(variable(name), out var port) ? port : fallback;

        var count = Port("PG_REPLICAS", defaults.Replicas.Count);
        var replicas = new List<Node>();
        for (var i = 0; i < count; i++)
        {
            var fallback = i < defaults.Replicas.Count ? defaults.Replicas[i].Port : replicas[^1].Port + 1;
            replicas.Add(new(Loopback, Port($"PG_REPLICA{i + 1}_PORT", fallback)));
        }

        return new(new(Loopback, Port("PG_PRIMARY_PORT", defaults.Primary.Port)), replicas, new(Loopback, Port("REDIS_PORT", defaults.Redis.Port)));
    }

    public string RedisConnection => $"{Redis.Host}:{Redis.Port}";

    /// <summary>The primary as the hosts find it: whichever node is not a standby, so a failover needs no restart.</summary>
    public string PrimaryConnection(string connectionOptions = "") =>
        $"Host={string.Join(',', new[] { Primary }.Concat(Replicas).Select(node => $"{node.Host}:{node.Port}"))};Target Session Attributes=primary;Host Recheck Seconds=1;"
        + $"Username={Username};Database={Database}" + Options(connectionOptions);

    /// <summary>One node, whatever its role.</summary>
    public static string NodeConnection(Node node, string connectionOptions = "", string database = Database) =>
        $"Host={node.Host};Port={node.Port};Username={Username};Database={database}" + Options(connectionOptions);

    /// <summary>
    /// The configuration that points a silo or the API at these services (<c>Database:Primary</c>,
    /// <c>Database:Replicas:N:Name</c> and <c>:ConnectionString</c>, <c>Redis:ConnectionString</c>), with
    /// <paramref name="connectionOptions"/> (e.g. <c>Maximum Pool Size=50</c>) on every connection string.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings(string connectionOptions = "")
    {
        var settings = new Dictionary<string, string> { ["Database:Primary"] = PrimaryConnection(connectionOptions) };
        for (var i = 0; i < Replicas.Count; i++)
        {
            settings[$"Database:Replicas:{i}:Name"] = ReplicaName(i);
            settings[$"Database:Replicas:{i}:ConnectionString"] = NodeConnection(Replicas[i], connectionOptions);
        }

        settings["Redis:ConnectionString"] = RedisConnection;
        return settings;
    }

    /// <summary>What <c>scripts/services</c> needs to find (or start) these services, keeping its data in <paramref name="dataDirectory"/>.</summary>
    public IReadOnlyDictionary<string, string> ServicesEnvironment(string dataDirectory)
    {
        var environment = new Dictionary<string, string>
        {
            ["PG_PRIMARY_PORT"] = Primary.Port.ToString(),
            ["PG_REPLICAS"] = Replicas.Count.ToString(),
            ["REDIS_PORT"] = Redis.Port.ToString(),
            ["ORLEANSRAW_DATA"] = dataDirectory,
        };
        for (var i = 0; i < Replicas.Count; i++)
        {
            environment[$"PG_REPLICA{i + 1}_PORT"] = Replicas[i].Port.ToString();
        }

        return environment;
    }

    private static string Options(string connectionOptions) => connectionOptions.Length == 0 ? "" : ";" + connectionOptions;

    public sealed record Node(string Host, int Port);
}
