using System.Diagnostics;

namespace OrleansRaw.Bench.Harness;

/// <summary>
/// A silo or API process the benchmark started: its output goes to a log file and its PID to a PID file, so
/// <c>./bench</c> can stop it by PID even if this process dies first.
/// </summary>
public sealed class ManagedProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ManagedProcess(Process process, string name, string pidFile, string logFile)
    {
        _process = process;
        Name = name;
        PidFile = pidFile;
        LogFile = logFile;
    }

    public string Name { get; }

    public string PidFile { get; }

    public string LogFile { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>dotnet <paramref name="dll"/></c> in its folder with <paramref name="settings"/> as environment variables.</summary>
    public static ManagedProcess Start(string name, string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string> settings, string runDirectory, string logDirectory)
    {
        Directory.CreateDirectory(logDirectory);
        var logFile = Path.Combine(logDirectory, name + ".log");
        // The shell only redirects and then becomes dotnet (exec), so the PID is the server's own.
        var command = "exec dotnet " + Quote(dll) + string.Concat(args.Select(a => " " + Quote(a))) + " >" + Quote(logFile) + " 2>&1";
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = Path.GetDirectoryName(dll)!, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + name);
        var pidFile = Path.Combine(runDirectory, name + ".pid");
        File.WriteAllText(pidFile, process.Id.ToString());
        return new ManagedProcess(process, name, pidFile, logFile);
    }

    public string Tail(int lines = 30)
    {
        try
        {
            return string.Join('\n', File.ReadLines(LogFile).TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Waits until the log shows <paramref name="marker"/>; fails with the log's tail if the process exits or time runs out.</summary>
    public async Task WaitForLogAsync(string marker, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (File.Exists(LogFile) && ReadShared(LogFile).Contains(marker, StringComparison.Ordinal))
            {
                return;
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}:\n{Tail()}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} did not log '{marker}' within {timeout.TotalSeconds:F0} s:\n{Tail()}");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>SIGTERM, then SIGKILL after 15 s; removes the PID file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await Shell.TryRunAsync("kill", ["-TERM", _process.Id.ToString()]);
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        File.Delete(PidFile);
        _process.Dispose();
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
