using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Cluster;

/// <summary>A real <c>Silo</c> process on loopback ports of its own, started as an operator would start one.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = [];
    private readonly List<long> _outputAt = [];

    private SiloProcess(Process process, int siloPort, int gatewayPort, int metricsPort)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        MetricsPort = metricsPort;
    }

    public int SiloPort { get; }
    public int GatewayPort { get; }

    /// <summary>The loopback port of the silo's Prometheus endpoint, <c>/metrics</c>.</summary>
    public int MetricsPort { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>True when an Orleans silo address (<c>S127.0.0.1:PORT:GEN</c> or <c>127.0.0.1:PORT@GEN</c>) is this silo's.</summary>
    public bool Hosts(string siloAddress) => siloAddress.Contains($":{SiloPort}:") || siloAddress.Contains($":{SiloPort}@");

    /// <summary>Starts a silo in <paramref name="environment"/> (Development, as <c>./run</c> does: fast failure detection).</summary>
    public static async Task<SiloProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, string environment = "Development")
    {
        var directory = SiloDirectory();
        var siloPort = FreePort();
        var gatewayPort = FreePort();
        var metricsPort = FreePort();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(directory, "Silo.dll")])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__")] = value;
        }

        start.Environment["Orleans__SiloPort"] = siloPort.ToString();
        start.Environment["Orleans__GatewayPort"] = gatewayPort.ToString();
        start.Environment["Observability__SiloMetricsPort"] = metricsPort.ToString();
        start.Environment["DOTNET_ENVIRONMENT"] = environment;

        var silo = new SiloProcess(Process.Start(start)!, siloPort, gatewayPort, metricsPort);
        silo._process.OutputDataReceived += (_, e) => silo.OnLine(e.Data);
        silo._process.ErrorDataReceived += (_, e) => silo.OnLine(e.Data);
        silo._process.BeginOutputReadLine();
        silo._process.BeginErrorReadLine();
        try
        {
            await silo._ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            await silo.DisposeAsync();
            throw new TimeoutException("silo did not become ready in 60 s:\n" + silo.Output);
        }

        return silo;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output.TakeLast(60));
            }
        }
    }

    /// <summary>When (a <see cref="Stopwatch"/> timestamp) the silo last printed a line containing <paramref name="text"/>, or null if it never did.</summary>
    public long? LastLogged(string text)
    {
        lock (_output)
        {
            var index = _output.FindLastIndex(line => line.Contains(text, StringComparison.Ordinal));
            return index < 0 ? null : _outputAt[index];
        }
    }

    /// <summary>SIGKILL: the process dies at once, leaving its membership row and activations behind.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        await AppProcess.StopAsync(_process);
        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
            _outputAt.Add(Stopwatch.GetTimestamp());
        }

        if (line.Contains("Silo ready", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    private static string SiloDirectory()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var directory = Path.Combine(RepoPaths.Root, "Silo", "bin", configuration, "net10.0");
        if (!File.Exists(Path.Combine(directory, "Silo.dll")))
        {
            throw new FileNotFoundException($"Silo.dll not found in {directory}; build the solution first.");
        }

        return directory;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
