using System.Globalization;

namespace OrleansRaw.Bench.Harness;

/// <summary>One part of the system under test whose CPU time is counted, by PID.</summary>
/// <param name="Name">Its name in the report.</param>
/// <param name="Pids">Its processes.</param>
/// <param name="WithChildren">Count their live children too (a postmaster's backends, WAL sender, checkpointer...).</param>
public sealed record CpuComponent(string Name, IReadOnlyList<int> Pids, bool WithChildren = false);

/// <summary>
/// CPU time (user + system) from <c>/proc/PID/stat</c>, in milliseconds. A process's figure includes the children it
/// has waited for (<c>cutime</c>, <c>cstime</c>), so a backend that exits between two samples still counts: its time
/// moves from the live children's sum to its postmaster's. Resolution is one clock tick (10 ms on Linux).
/// </summary>
public sealed class ProcessCpu
{
    private readonly double _msPerTick;

    private ProcessCpu(double msPerTick) => _msPerTick = msPerTick;

    public static async Task<ProcessCpu> CreateAsync()
    {
        var (code, output) = await Shell.TryRunAsync("getconf", ["CLK_TCK"]);
        var ticks = code == 0 && int.TryParse(output, NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t > 0 ? t : 100;
        return new ProcessCpu(1000.0 / ticks);
    }

    /// <summary>CPU milliseconds used so far by each component (a process that is gone counts 0).</summary>
    public Dictionary<string, double> Sample(IEnumerable<CpuComponent> components)
    {
        var all = components.ToList();
        var children = all.Any(c => c.WithChildren) ? ChildrenByParent() : [];
        return all.ToDictionary(c => c.Name, c => c.Pids.Sum(pid =>
            Ticks(pid) + (c.WithChildren ? children.GetValueOrDefault(pid, []).Sum(Ticks) : 0)) * _msPerTick);
    }

    /// <summary>This process's own CPU milliseconds (the load generator: measured, but not the system under test).</summary>
    public double SampleSelf() => Ticks(Environment.ProcessId) * _msPerTick;

    /// <summary>The parent PID of <paramref name="pid"/>.</summary>
    public static int ParentOf(int pid) =>
        Stat(pid) is { } fields ? int.Parse(fields[1], CultureInfo.InvariantCulture) : throw new InvalidOperationException($"process {pid} not found in /proc");

    private static long Ticks(int pid)
    {
        if (Stat(pid) is not { } f)
        {
            return 0;
        }

        // Fields after the command name, 0-based from field 3 (state): utime 14, stime 15, cutime 16, cstime 17.
        return f.Skip(11).Take(4).Sum(field => long.Parse(field, CultureInfo.InvariantCulture));
    }

    private static Dictionary<int, List<int>> ChildrenByParent()
    {
        var map = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || Stat(pid) is not { } fields)
            {
                continue;
            }

            var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
            if (!map.TryGetValue(parent, out var list))
            {
                map[parent] = list = [];
            }

            list.Add(pid);
        }

        return map;
    }

    // The command name is in parentheses and may contain spaces and parentheses itself: split after the last ')'.
    private static string[]? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var end = text.LastIndexOf(')');
        return end < 0 ? null : text[(end + 2)..].Split(' ');
    }
}
