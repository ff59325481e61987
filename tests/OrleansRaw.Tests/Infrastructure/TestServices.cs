using System.Diagnostics;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>
/// The test set of services (their own ports and data folder, so tests can run beside a running system), started
/// through <c>scripts/services</c> exactly as a developer would. Anything wrong here fails the tests loudly.
/// </summary>
public static class TestServices
{
    public static int PrimaryPort => Port("PG_PRIMARY_PORT", 57432);
    public static int Replica1Port => Port("PG_REPLICA1_PORT", 57433);
    public static int Replica2Port => Port("PG_REPLICA2_PORT", 57434);
    public static int RedisPort => Port("REDIS_PORT", 57379);

    public static string Redis => $"127.0.0.1:{RedisPort}";
    public static string Primary => Connection(PrimaryPort);
    public static string Replica1 => Connection(Replica1Port);
    public static string Replica2 => Connection(Replica2Port);

    public static string Connection(int port) =>
        $"Host=127.0.0.1;Port={port};Username=postgres;Database=orleansraw;Maximum Pool Size=60;Timeout=5;Command Timeout=30";

    public static IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["PG_PRIMARY_PORT"] = PrimaryPort.ToString(),
        ["PG_REPLICA1_PORT"] = Replica1Port.ToString(),
        ["PG_REPLICA2_PORT"] = Replica2Port.ToString(),
        ["REDIS_PORT"] = RedisPort.ToString(),
        ["ORLEANSRAW_DATA"] = System.Environment.GetEnvironmentVariable("ORLEANSRAW_DATA") ?? Path.Combine(RepoPaths.Root, ".data", "test"),
        ["ORLEANSRAW_FAST"] = "1",
    };

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool _up;

    /// <summary>Runs <c>scripts/services up</c> once per test run (idempotent when <c>./test</c> already did).</summary>
    public static async Task EnsureUpAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_up)
            {
                return;
            }

            var (code, output) = await RunScriptAsync("up");
            if (code != 0)
            {
                throw new InvalidOperationException($"scripts/services up failed with exit code {code}; the database tests cannot run:\n{output}");
            }

            _up = true;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task<(int ExitCode, string Output)> RunScriptAsync(params string[] args)
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

    private static int Port(string name, int fallback) =>
        int.TryParse(System.Environment.GetEnvironmentVariable(name), out var port) ? port : fallback;
}
