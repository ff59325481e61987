using System.Globalization;
using System.Net.Sockets;

namespace OrleansRaw.Bench.Harness;

/// <summary>
/// pgpool-II 4.3 (Debian's <c>pgpool2</c>) in front of the benchmark's three PostgreSQL nodes, in streaming-replication
/// mode with load balancing on: a configuration folder of its own, started and stopped through its PID file.
/// </summary>
public sealed class Pgpool(BenchEnvironment env, Action<string> log) : IAsyncDisposable
{
    /// <summary>Connections each of the API's three data sources may open to pgpool; pgpool needs a child process for each.</summary>
    public const int ClientPoolSize = 40;

    /// <summary>The API's primary data source (writes, and the reads a write makes) as pgpool sees it.</summary>
    public const string WritePoolApplication = "orleansraw-writes";

    /// <summary>The API's replica data sources as pgpool sees them.</summary>
    public const string ReadPoolApplication = "orleansraw-reads";

    /// <summary>
    /// pgpool 4.3 measures replication delay in WAL bytes (delay by time came in 4.4), checked every
    /// <c>sr_check_period</c> (1 s, the shortest). This threshold is about 100 ms of this workload's WAL at 200 users
    /// (measured: see the report), so a replica 300 ms behind is avoided once pgpool's check has seen it.
    /// </summary>
    public const long DelayThresholdBytes = 16 * 1024;

    private string Directory => env.PgpoolDirectory;

    private string ConfigFile => Path.Combine(Directory, "pgpool.conf");

    private string PidFile => Path.Combine(Directory, "pgpool.pid");

    public string? Mode { get; private set; }

    public static string Binary => File.Exists("/usr/sbin/pgpool") ? "/usr/sbin/pgpool" : "pgpool";

    public static async Task<string> VersionAsync() => (await Shell.TryRunAsync(Binary, ["--version"])).Output;

    /// <summary>Writes the configuration for <paramref name="writeMode"/> (<c>disable_load_balance_on_write</c>) and starts pgpool.</summary>
    public async Task StartAsync(string writeMode, CancellationToken cancellationToken)
    {
        await StopAsync();
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "run"));
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "log"));
        await File.WriteAllTextAsync(ConfigFile, Configuration(writeMode), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(Directory, "pcp.conf"), "", cancellationToken);
        // LOCAL BENCHMARK ONLY, like the databases behind it: trust on loopback.
        await File.WriteAllTextAsync(Path.Combine(Directory, "pool_hba.conf"), "host all all 127.0.0.1/32 trust\n", cancellationToken);

        // -D forgets node states from an earlier run (pgpool_status), so every start sees all three nodes up.
        await Shell.RunAsync(Binary, ["-f", ConfigFile, "-F", Path.Combine(Directory, "pcp.conf"), "-a", Path.Combine(Directory, "pool_hba.conf"), "-D"],
            cancellationToken: cancellationToken);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await AllNodesUpAsync(cancellationToken))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("pgpool did not come up with three nodes within 30 s; see " + Path.Combine(Directory, "log"));
            }

            await Task.Delay(250, cancellationToken);
        }

        Mode = writeMode;
        log($"pgpool {writeMode}: pid {(await File.ReadAllTextAsync(PidFile, cancellationToken)).Trim()}, port {env.PgpoolPort}");
    }

    /// <summary>Stops pgpool (fast shutdown via its PID file), then makes sure the PID is gone.</summary>
    public async Task StopAsync()
    {
        if (!File.Exists(PidFile))
        {
            return;
        }

        var pid = int.TryParse((await File.ReadAllTextAsync(PidFile)).Trim(), out var p) ? p : 0;
        await Shell.TryRunAsync(Binary, ["-f", ConfigFile, "-m", "fast", "stop"], timeout: TimeSpan.FromSeconds(30));
        for (var i = 0; i < 100 && pid > 0 && Alive(pid); i++)
        {
            await Task.Delay(100);
        }

        if (pid > 0 && Alive(pid))
        {
            await Shell.TryRunAsync("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]);
        }

        File.Delete(PidFile);
        Mode = null;
    }

    /// <summary>
    /// SELECTs pgpool has sent to each node since it started (<c>SHOW POOL_NODES</c>, <c>select_cnt</c>), node 0 being
    /// the primary. pgpool counts them as it sends them, so the counts are current at once.
    /// </summary>
    public async Task<long[]> SelectCountsAsync(CancellationToken cancellationToken)
    {
        var rows = await ShowPoolNodesAsync(cancellationToken);
        return [.. rows.Select(r => long.Parse(r["select_cnt"], CultureInfo.InvariantCulture))];
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task<bool> AllNodesUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", env.PgpoolPort, cancellationToken);
        }
        catch (SocketException)
        {
            return false;
        }

        try
        {
            var rows = await ShowPoolNodesAsync(cancellationToken);
            return rows.Count == 3 && rows.All(r => r["status"] is "up" or "waiting");
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    // psql speaks the simple query protocol, which pgpool's own SHOW commands expect.
    private async Task<List<Dictionary<string, string>>> ShowPoolNodesAsync(CancellationToken cancellationToken)
    {
        var output = await Shell.RunAsync("psql", ["-X", "-A", "-F", "|", "-h", "127.0.0.1", "-p", env.PgpoolPort.ToString(), "-U", "postgres", "-d", "postgres", "-c", "SHOW POOL_NODES"],
            cancellationToken: cancellationToken, timeout: TimeSpan.FromSeconds(10));
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines[0].Split('|');
        return [.. lines.Skip(1).Where(l => !l.StartsWith('(')).Select(l => header.Zip(l.Split('|')).ToDictionary(p => p.First, p => p.Second))];
    }

    private static bool Alive(int pid) => System.IO.Directory.Exists($"/proc/{pid}");

    private string Configuration(string writeMode) => string.Create(CultureInfo.InvariantCulture, $"""
        # Written by the OrleansRaw benchmark; pgpool-II 4.3. LOCAL BENCHMARK ONLY (trust authentication on loopback).
        backend_clustering_mode = 'streaming_replication'
        listen_addresses = '127.0.0.1'
        port = {env.PgpoolPort}
        socket_dir = '{Directory}/run'
        pcp_listen_addresses = '127.0.0.1'
        pcp_port = {env.PcpPort}
        pcp_socket_dir = '{Directory}/run'
        wd_ipc_socket_dir = '{Directory}/run'
        pid_file_name = '{PidFile}'
        logdir = '{Directory}'
        log_destination = 'stderr'
        logging_collector = on
        log_directory = '{Directory}/log'
        log_filename = 'pgpool-%Y%m%d.log'

        # The same three nodes as the API uses. The primary takes no load-balanced reads (weight 0), as with
        # OrleansRaw's strategies: reads go to it only when pgpool decides they must.
        backend_hostname0 = '127.0.0.1'
        backend_port0 = {env.PrimaryPort}
        backend_weight0 = 0
        backend_flag0 = 'DISALLOW_TO_FAILOVER'
        backend_application_name0 = 'primary'
        backend_hostname1 = '127.0.0.1'
        backend_port1 = {env.Replica1Port}
        backend_weight1 = 1
        backend_flag1 = 'DISALLOW_TO_FAILOVER'
        backend_application_name1 = 'replica-1'
        backend_hostname2 = '127.0.0.1'
        backend_port2 = {env.Replica2Port}
        backend_weight2 = 1
        backend_flag2 = 'DISALLOW_TO_FAILOVER'
        backend_application_name2 = 'replica-2'

        enable_pool_hba = on
        num_init_children = {3 * ClientPoolSize + 8}
        max_pool = 1
        child_life_time = 0
        client_idle_limit = 0

        load_balance_mode = on
        disable_load_balance_on_write = '{writeMode}'
        statement_level_load_balance = off
        # The API's write pool is the primary's; its follow-up SELECTs (the new cart, the WAL position) stay there.
        app_name_redirect_preference_list = '{WritePoolApplication}:primary'

        sr_check_period = 1
        sr_check_user = 'postgres'
        sr_check_password = ''
        sr_check_database = 'postgres'
        delay_threshold = {DelayThresholdBytes}
        prefer_lower_delay_standby = off

        # Health checks and failover off: the benchmark never stops a node.
        health_check_period = 0
        failover_on_backend_error = off
        failover_command = ''
        use_watchdog = off
        memory_cache_enabled = off
        """);
}
