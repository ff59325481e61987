using System.Diagnostics;

namespace OrleansRaw.Bench.Harness;

/// <summary>Runs a command to completion and fails loudly with its output when it fails.</summary>
public static class Shell
{
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken cancellationToken = default, TimeSpan? timeout = null)
    {
        var (code, output) = await TryRunAsync(file, args, environment, cancellationToken, timeout);
        if (code != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed with exit code {code}:\n{output}");
        }

        return output;
    }

    public static async Task<(int ExitCode, string Output)> TryRunAsync(string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + file);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).WaitAsync(timeout ?? TimeSpan.FromMinutes(2), cancellationToken);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish in time");
        }

        return (process.ExitCode, (await stdout + await stderr).Trim());
    }
}
