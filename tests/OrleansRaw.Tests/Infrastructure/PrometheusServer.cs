using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>
/// Debian's Prometheus as a process of its own on a free loopback port, run from the repository's
/// <c>deploy/prometheus</c> configuration and rules with the given targets and a shorter scrape and evaluation
/// interval; stopped by its PID, its data folder deleted.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly List<string> _output = [];
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Address { get; }

    /// <summary>Prometheus' own log, its last lines.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output.TakeLast(40));
            }
        }
    }

    /// <summary>One alert as <c>/api/v1/alerts</c> reports it: <c>pending</c> (its condition holds, not yet for its <c>for:</c> time) or <c>firing</c>.</summary>
    public sealed record Alert(string Name, IReadOnlyDictionary<string, string> Labels, string State, DateTimeOffset ActiveAt, string Value);

    /// <param name="apiTargets">The API servers' <c>host:port</c>.</param>
    /// <param name="siloTargets">The silos' metrics <c>host:port</c>.</param>
    /// <param name="interval">Scrape and rule evaluation interval, in place of the shipped configuration's.</param>
    public static async Task<PrometheusServer> StartAsync(IEnumerable<string> apiTargets, IEnumerable<string> siloTargets, TimeSpan interval)
    {
        var source = Path.Combine(RepoPaths.Root, "deploy", "prometheus");
        var directory = Path.Combine(RepoPaths.Root, ".data", "test-prometheus-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(directory, "targets"));
        var seconds = $"{(int)interval.TotalSeconds}s";
        var configuration = File.ReadAllText(Path.Combine(source, "prometheus.yml"));
        foreach (var setting in new[] { "scrape_interval", "evaluation_interval" })
        {
            var shipped = $"{setting}: 5s";
            if (!configuration.Contains(shipped, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"deploy/prometheus/prometheus.yml no longer says '{shipped}': update this harness");
            }

            configuration = configuration.Replace(shipped, $"{setting}: {seconds}", StringComparison.Ordinal);
        }

        File.WriteAllText(Path.Combine(directory, "prometheus.yml"), configuration);
        File.Copy(Path.Combine(source, "rules.yml"), Path.Combine(directory, "rules.yml"));
        File.WriteAllText(Path.Combine(directory, "targets", "api.json"), JsonSerializer.Serialize(new[] { new { targets = apiTargets } }));
        File.WriteAllText(Path.Combine(directory, "targets", "silos.json"), JsonSerializer.Serialize(new[] { new { targets = siloTargets } }));

        var port = FreePort();
        var start = new ProcessStartInfo("prometheus",
        [
            "--config.file=" + Path.Combine(directory, "prometheus.yml"),
            "--storage.tsdb.path=" + Path.Combine(directory, "data"),
            $"--web.listen-address=127.0.0.1:{port}",
        ])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception ex)
        {
            Directory.Delete(directory, recursive: true);
            throw new InvalidOperationException("prometheus is not installed: ./test installs Debian's prometheus package (apt-get install prometheus)", ex);
        }

        var server = new PrometheusServer(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitForReadyAsync(TimeSpan.FromSeconds(30));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>The alerts Prometheus holds now, pending and firing (a resolved alert is no longer listed).</summary>
    public async Task<IReadOnlyList<Alert>> AlertsAsync()
    {
        var data = await GetDataAsync("api/v1/alerts");
        return [.. data.GetProperty("alerts").EnumerateArray().Select(a =>
        {
            var labels = a.GetProperty("labels").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString()!);
            return new Alert(labels["alertname"], labels, a.GetProperty("state").GetString()!,
                DateTimeOffset.Parse(a.GetProperty("activeAt").GetString()!, CultureInfo.InvariantCulture), a.GetProperty("value").GetString()!);
        })];
    }

    /// <summary>An instant query's result vector, as (labels, value) pairs.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        var data = await GetDataAsync("api/v1/query?query=" + Uri.EscapeDataString(promql));
        return [.. data.GetProperty("result").EnumerateArray().Select(r => (
            (IReadOnlyDictionary<string, string>)r.GetProperty("metric").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString()!),
            double.Parse(r.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)))];
    }

    /// <summary>The <c>data</c> member of a Prometheus HTTP API answer.</summary>
    public async Task<JsonElement> GetDataAsync(string pathAndQuery)
    {
        using var response = await _http.GetAsync(pathAndQuery);
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("data").Clone();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await AppProcess.StopAsync(_process);
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task WaitForReadyAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await _http.GetAsync("-/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"prometheus was not ready in {timeout}:\n{Output}");
    }

    private void OnLine(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Add(line);
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
