using System.Diagnostics;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>
/// A set of services (primary, two replicas, Redis) on ports and a data folder of its own, driven through
/// <c>scripts/services</c> exactly as a developer would. Anything wrong here fails the tests loudly.
/// </summary>
public sealed class ServiceSet(int primaryPort, int replica1Port, int replica2Port, int redisPort, string dataDirectory)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _up;

    public int PrimaryPort => primaryPort;
    public int Replica1Port => replica1Port;
    public int Replica2Port => replica2Port;
    public int RedisPort => redisPort;

    public string Redis => $"127.0.0.1:{RedisPort}";
    public string Primary => Connection(PrimaryPort);
    public string Replica1 => Connection(Replica1Port);
    public string Replica2 => Connection(Replica2Port);

    /// <summary>The primary as the system is configured to find it: whichever node is not a standby (failover).</summary>
    public string PrimaryAnyNode =>
        $"Host=127.0.0.1:{PrimaryPort},127.0.0.1:{Replica1Port},127.0.0.1:{Replica2Port};Target Session Attributes=primary;Host Recheck Seconds=1;"
        + "Username=postgres;Database=orleansraw;Maximum Pool Size=60;Timeout=5;Command Timeout=30";

    public static string Connection(int port) =>
        $"Host=127.0.0.1;Port={port};Username=postgres;Database=orleansraw;Maximum Pool Size=60;Timeout=5;Command Timeout=30";

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["PG_PRIMARY_PORT"] = PrimaryPort.ToString(),
        ["PG_REPLICA1_PORT"] = Replica1Port.ToString(),
        ["PG_REPLICA2_PORT"] = Replica2Port.ToString(),
        ["REDIS_PORT"] = RedisPort.ToString(),
        ["ORLEANSRAW_DATA"] = dataDirectory,
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

/// <summary>The test run's shared service set: ports from the environment that <c>./test</c> sets, else 27432–27434 and 27379.</summary>
public static class TestServices
{
    public static ServiceSet Default { get; } = new(
        Port("PG_PRIMARY_PORT", 27432), Port("PG_REPLICA1_PORT", 27433), Port("PG_REPLICA2_PORT", 27434), Port("REDIS_PORT", 27379),
        Environment.GetEnvironmentVariable("ORLEANSRAW_DATA") ?? Path.Combine(RepoPaths.Root, ".data", "test-27432"));

    public static string Redis => Default.Redis;
    public static string Primary => Default.Primary;
    public static string Replica1 => Default.Replica1;
    public static string Replica2 => Default.Replica2;

    public static Task EnsureUpAsync() => Default.EnsureUpAsync();

    private static int Port(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var port) ? port : fallback;
}
