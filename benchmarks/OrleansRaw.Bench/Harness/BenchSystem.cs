namespace OrleansRaw.Bench.Harness;

/// <summary>
/// The silos and the API of one strategy, started as <c>./run</c> starts them (Release builds, by PID) on the
/// benchmark's ports, with the strategy's configuration. A new cluster id per start, so a restart never waits for
/// the previous silos' membership entries. <see cref="Strategy.Direct"/> runs the API alone, with no silos.
/// </summary>
public sealed class BenchSystem(BenchEnvironment env, Action<string> log) : IAsyncDisposable
{
    private readonly List<ManagedProcess> _silos = [];
    private ManagedProcess? _api;
    private int _starts;

    public string ClusterId { get; private set; } = "";

    public int Silos => _silos.Count;

    /// <summary>The running API's PID (for CPU accounting).</summary>
    public int ApiPid => _api?.Pid ?? throw new InvalidOperationException("the API is not running");

    /// <summary>The running silos' PIDs; none for <see cref="Strategy.Direct"/>.</summary>
    public IReadOnlyList<int> SiloPids => [.. _silos.Select(s => s.Pid)];

    /// <param name="silos">Silos to start; ignored (none started) for a strategy that uses no cluster.</param>
    public async Task StartAsync(Strategy strategy, int silos, CancellationToken cancellationToken)
    {
        await StopAsync();
        silos = strategy.UsesCluster ? silos : 0;
        Directory.CreateDirectory(env.RunDirectory);
        ClusterId = $"bench-{Environment.ProcessId}-{++_starts}";
        var common = CommonSettings(strategy);

        await Task.WhenAll(Enumerable.Range(1, silos).Select(async i =>
        {
            var settings = new Dictionary<string, string>(common)
            {
                ["Orleans:SiloPort"] = (env.SiloBasePort + i - 1).ToString(),
                ["Orleans:GatewayPort"] = (env.GatewayBasePort + i - 1).ToString(),
                ["Observability:SiloMetricsPort"] = (env.SiloMetricsBasePort + i - 1).ToString(),
            };
            var silo = await StartWithRetryAsync($"silo-{i}", Binary("Silo", "Silo.dll"), [], settings,
                p => p.WaitForLogAsync("Silo ready", TimeSpan.FromSeconds(90), cancellationToken), cancellationToken);
            lock (_silos)
            {
                _silos.Add(silo);
            }
        }));

        var api = new Dictionary<string, string>(common);
        if (strategy.UsesPgpool)
        {
            // pgpool alone decides: every data source of the API is pgpool. The silos keep watching the real replicas,
            // so the Eventual policy names a replica; the API then reads "that replica", which is pgpool again.
            api["Database:Primary"] = env.PgpoolConnection(Pgpool.WritePoolApplication);
            api["Database:Replicas:0:ConnectionString"] = env.PgpoolConnection(Pgpool.ReadPoolApplication);
            api["Database:Replicas:1:ConnectionString"] = env.PgpoolConnection(Pgpool.ReadPoolApplication);
            // pgpool may send a session's next statement to another node, where it was never prepared.
            api["Database:MaxAutoPrepare"] = "0";
        }

        _api = await StartWithRetryAsync("api", Binary("WebApi", "WebApi.dll"), ["--urls", env.ApiUrl], api, p => WaitForApiAsync(p, cancellationToken), cancellationToken);
        log($"{strategy.Label}: {silos} silo(s) and the API are up (cluster {ClusterId}, silo pids {string.Join(",", _silos.Select(s => s.Pid))}, api pid {_api.Pid})");
    }

    /// <summary>Stops the API, then the silos (SIGTERM, then SIGKILL after 15 s).</summary>
    public async Task StopAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
            _api = null;
        }

        await Task.WhenAll(_silos.Select(s => s.DisposeAsync().AsTask()));
        _silos.Clear();
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private Dictionary<string, string> CommonSettings(Strategy strategy)
    {
        var settings = new Dictionary<string, string>(env.Settings)
        {
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["Orleans:ClusterId"] = ClusterId,
            ["Orleans:ServiceId"] = BenchEnvironment.ServiceId,
            ["Auth:EnableDevTokens"] = "true",
            // The background worker reads posts on its own schedule; off, so every read measured is a user's.
            ["Worker:Enabled"] = "false",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            // The capacity run's clients write back-to-back, far above a person's 20 writes per second; the limiter
            // still runs (same work in every strategy), it just never refuses.
            ["RateLimiting:WritesPerSecond"] = "100000",
            ["RateLimiting:WriteBurst"] = "100000",
            ["Consistency:StrongReadsPerSecond"] = "100000",
            ["Consistency:StrongReadBurst"] = "100000",
        };
        foreach (var (key, value) in strategy.Settings)
        {
            settings[key] = value;
        }

        return settings;
    }

    // The benchmark's ports lie in Linux's ephemeral range (32768-60999), so now and then another program's outgoing
    // connection holds one for a moment: a start that failed to bind is tried again.
    private async Task<ManagedProcess> StartWithRetryAsync(string name, string dll, string[] args, IReadOnlyDictionary<string, string> settings,
        Func<ManagedProcess, Task> ready, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var process = ManagedProcess.Start(name, dll, args, settings, env.RunDirectory, env.LogDirectory);
            try
            {
                await ready(process);
                return process;
            }
            catch (InvalidOperationException) when (attempt < 4 && process.HasExited && process.Tail(200).Contains("already in use", StringComparison.OrdinalIgnoreCase))
            {
                log($"{name}: a port was busy, starting again in 2 s");
                await process.DisposeAsync();
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }
    }

    private async Task WaitForApiAsync(ManagedProcess api, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(env.ApiUrl + "/health/ready", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // not listening yet
            }

            if (api.HasExited)
            {
                throw new InvalidOperationException("the API exited:\n" + api.Tail());
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the API was not ready within 120 s:\n" + api.Tail());
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    private string Binary(string project, string dll)
    {
        var path = Path.Combine(env.Root, project, "bin", env.Configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} not found; build the solution ({env.Configuration}) first");
    }
}
