using System.Diagnostics;
using OrleansRaw.Bench.Harness;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>
/// A set of services (primary, <paramref name="replicas"/> replicas, Redis) on ports and a data folder of its own,
/// driven through <c>scripts/services</c> exactly as a developer would. Replicas past the second take the ports after
/// <paramref name="replica2Port"/>. Anything wrong here fails the tests loudly.
/// </summary>
public sealed class ServiceSet(int primaryPort, int replica1Port, int replica2Port, int redisPort, string dataDirectory, int replicas = 2)
{
    /// <summary>On every connection string the tests and the systems they start use.</summary>
    public const string ConnectionOptions = "Maximum Pool Size=60;Timeout=5;Command Timeout=30";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _up;

    public DevTopology Topology { get; } = DevTopology.OnLoopback(primaryPort, replica1Port, replica2Port, redisPort).WithReplicas(replicas);

    public int PrimaryPort => Topology.Primary.Port;
    public int Replica1Port => Topology.Replica1.Port;
    public int Replica2Port => Topology.Replica2.Port;
    public int RedisPort => Topology.Redis.Port;

    public string Redis => Topology.RedisConnection;
    public string Primary => DevTopology.NodeConnection(Topology.Primary, ConnectionOptions);
    public string Replica1 => DevTopology.NodeConnection(Topology.Replica1, ConnectionOptions);
    public string Replica2 => DevTopology.NodeConnection(Topology.Replica2, ConnectionOptions);

    /// <summary>Each replica's name (<c>replica-1</c> and on) and connection string, in order.</summary>
    public IReadOnlyList<(string Name, string ConnectionString)> Replicas =>
        [.. Topology.Replicas.Select((node, i) => (DevTopology.ReplicaName(i), DevTopology.NodeConnection(node, ConnectionOptions)))];

    /// <summary>The primary as the system is configured to find it: whichever node is not a standby (failover).</summary>
    public string PrimaryAnyNode => Topology.PrimaryConnection(ConnectionOptions);

    /// <summary>The silos' and the API's database and Redis settings for these services.</summary>
    public IReadOnlyDictionary<string, string> Settings => Topology.Settings(ConnectionOptions);

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>(Topology.ServicesEnvironment(dataDirectory))
    {
        ["ORLEANSRAW_FAST"] = "1",
    };

    /// <summary>Runs <c>scripts/services up</c> once (idempotent when <c>./test</c> already did).</summary>
    public async Task EnsureUpAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (!_up)
            {
                await RunAsync("up");
                _up = true;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs a <c>scripts/services</c> command and fails loudly when it fails.</summary>
    public async Task RunAsync(params string[] args)
    {
        var (code, output) = await RunScriptAsync(args);
        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/services {string.Join(' ', args)} failed with exit code {code}:\n{output}");
        }
    }

    public async Task<(int ExitCode, string Output)> RunScriptAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "scripts", "services"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in Environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        return (process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>The test run's shared service set: ports from the environment that <c>./test</c> sets, else those of <see cref="DevTopology.Tests"/>.</summary>
public static class TestServices
{
    private static readonly DevTopology Topology = DevTopology.FromEnvironment(DevTopology.Tests);

    public static ServiceSet Default { get; } = new(
        Topology.Primary.Port, Topology.Replica1.Port, Topology.Replica2.Port, Topology.Redis.Port,
        Environment.GetEnvironmentVariable("ORLEANSRAW_DATA") ?? Path.Combine(RepoPaths.Root, ".data", $"test-{Topology.Primary.Port}"));

    public static string Redis => Default.Redis;
    public static string Primary => Default.Primary;
    public static string Replica1 => Default.Replica1;
    public static string Replica2 => Default.Replica2;

    public static Task EnsureUpAsync() => Default.EnsureUpAsync();
}
