using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;

namespace OrleansRaw.Bench.Harness;

/// <summary>What the numbers were measured on, for the top of the report.</summary>
public sealed record MachineFacts(IReadOnlyList<(string Name, string Value)> Rows)
{
    /// <summary>Reads the facts from /proc, the runtime and the tools' own version output.</summary>
    public static async Task<MachineFacts> CollectAsync(string root, IEnumerable<(string Name, string Value)> more)
    {
        var rows = new List<(string, string)>
        {
            ("CPU", $"{Environment.ProcessorCount} cores, {CpuModel()}"),
            ("Memory", MemoryTotal()),
            ("OS", $"{OsName()}, Linux {Read("/proc/sys/kernel/osrelease")}"),
            (".NET runtime", RuntimeInformation.FrameworkDescription),
            ("Orleans", Version(typeof(IClusterClient).Assembly)),
            ("Npgsql", Version(typeof(Npgsql.NpgsqlConnection).Assembly)),
            ("Redis", FirstWord((await Shell.TryRunAsync("redis-server", ["--version"])).Output, "v=")),
            ("pgpool-II", (await Shell.TryRunAsync(Pgpool.Binary, ["--version"])).Output.Replace("pgpool-II version ", "", StringComparison.Ordinal)),
            ("Commit", await CommitAsync(root)),
        };
        rows.AddRange(more);
        return new MachineFacts(rows);
    }

    /// <summary>The 1-minute load average: the machine is shared, so it says how busy it was around the run.</summary>
    public static string LoadAverage() => Read("/proc/loadavg").Split(' ').FirstOrDefault() ?? "?";

    private static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";

    private static string MemoryTotal()
    {
        var line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) : null;
        var kb = line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{kb / 1024.0 / 1024.0:0.0} GiB");
    }

    private static string OsName() =>
        File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"') ?? "?"
            : RuntimeInformation.OSDescription;

    private static string Version(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
        // e.g. "10.4.2+sha" or "10.4.2. Commit Hash: sha": the version is the first word.
        return informational.Split('+', ' ')[0].TrimEnd('.');
    }

    private static string FirstWord(string output, string prefix)
    {
        var word = output.Split(' ').FirstOrDefault(w => w.StartsWith(prefix, StringComparison.Ordinal));
        return word is null ? output : word[prefix.Length..];
    }

    private static async Task<string> CommitAsync(string root)
    {
        var (code, commit) = await Shell.TryRunAsync("git", ["-C", root, "rev-parse", "--short", "HEAD"]);
        if (code != 0)
        {
            return "?";
        }

        var (_, status) = await Shell.TryRunAsync("git", ["-C", root, "status", "--porcelain", "--untracked-files=no"]);
        return status.Length == 0 ? commit : commit + " (with uncommitted changes)";
    }

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "?";
}
