using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>
/// Debian's HAProxy as a process of its own on a free loopback port, round robin over API servers, with the
/// configuration <c>scripts/haproxy-config</c> generates for <c>./run --apis N</c>; stopped by its PID.
/// </summary>
public sealed class HaproxyBalancer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _configFile;
    private readonly List<(long Timestamp, string Line)> _output = [];

    private HaproxyBalancer(Process process, string configFile, Uri address)
    {
        _process = process;
        _configFile = configFile;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>HAProxy's log, its last lines.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output.TakeLast(40).Select(l => l.Line));
            }
        }
    }

    /// <summary>
    /// Starts HAProxy in front of <paramref name="servers"/>, named <c>api-1</c>, <c>api-2</c>, … in that order.
    /// <paramref name="healthChecked"/> false: round robin only, no health check and no retry on another server.
    /// </summary>
    public static async Task<HaproxyBalancer> StartAsync(IReadOnlyList<Uri> servers, bool healthChecked = true)
    {
        var port = FreePort();
        string[] arguments = [.. healthChecked ? [] : new[] { "--unchecked" }, port.ToString(), .. servers.Select(s => s.Port.ToString())];
        var (exitCode, config) = await AppProcess.RunAsync(Path.Combine(RepoPaths.Root, "scripts", "haproxy-config"), arguments, RepoPaths.Root, TimeSpan.FromSeconds(10));
        if (exitCode != 0)
        {
            throw new InvalidOperationException("scripts/haproxy-config failed:\n" + config);
        }

        var configFile = Path.Combine(RepoPaths.Root, ".data", $"test-haproxy-{Guid.NewGuid():N}.cfg");
        Directory.CreateDirectory(Path.GetDirectoryName(configFile)!);
        await File.WriteAllTextAsync(configFile, config);
        var start = new ProcessStartInfo("haproxy", ["-db", "-f", configFile]) { RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception ex)
        {
            File.Delete(configFile);
            throw new InvalidOperationException("haproxy is not installed: ./test installs Debian's haproxy package (apt-get install haproxy)", ex);
        }

        var balancer = new HaproxyBalancer(process, configFile, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => balancer.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => balancer.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await balancer.WaitForReadyAsync(TimeSpan.FromSeconds(10));
        }
        catch
        {
            await balancer.DisposeAsync();
            throw;
        }

        return balancer;
    }

    /// <summary>
    /// When (a <see cref="Stopwatch"/> timestamp) HAProxy first logged a line containing <paramref name="text"/> after
    /// <paramref name="after"/>, if it did.
    /// </summary>
    public long? FirstLogged(string text, long after)
    {
        lock (_output)
        {
            return _output.Where(l => l.Timestamp > after && l.Line.Contains(text, StringComparison.Ordinal)).Select(l => (long?)l.Timestamp).FirstOrDefault();
        }
    }

    /// <summary>
    /// The API server HAProxy sent the request carrying <c>X-Request-Id: <paramref name="requestId"/></c> to, from
    /// its log line (the server that took it even when the client got no answer at all), and that line.
    /// </summary>
    public (string? Server, string? Line) LoggedServerOf(string requestId)
    {
        lock (_output)
        {
            var line = _output.Select(l => l.Line).FirstOrDefault(l => l.Contains($"{{{requestId}}}", StringComparison.Ordinal));
            var server = line is null ? null : Regex.Match(line, @" apis/(\S+) ").Groups[1].Value;
            return (string.IsNullOrEmpty(server) ? null : server, line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await AppProcess.StopAsync(_process);
        _process.Dispose();
        File.Delete(_configFile);
    }

    private async Task WaitForReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(2) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"haproxy exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"haproxy did not answer /health/ready with 200 in {timeout}:\n{Output}");
    }

    private void OnLine(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Add((Stopwatch.GetTimestamp(), line));
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
