using System.Diagnostics;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>Runs <c>clients/ClientCli</c> (the generated client, one call) as a process of its own.</summary>
public static class ClientProcess
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string jwt, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet", [Dll(), .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ORLEANSRAW_JWT"] = jwt;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var error = await stderr;
        return (process.ExitCode, process.ExitCode == 0 ? await stdout : await stdout + error);
    }

    private static string Dll()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(RepoPaths.Root, "clients", "ClientCli", "bin", configuration, "net10.0", "ClientCli.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} not found; build the solution first.");
    }
}
