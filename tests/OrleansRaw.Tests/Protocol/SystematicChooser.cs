namespace OrleansRaw.Tests.Protocol;

/// <summary>
/// Explores every schedule of a small world, depth first: each run replays a prefix of choices and takes the first
/// option beyond it; the next run moves the deepest choice that has options left. Stateless model checking by replay.
/// </summary>
internal sealed class SystematicChooser : IChooser
{
    private readonly List<(int Taken, int Options)> _path;
    private int _depth;

    private SystematicChooser(List<(int, int)> path) => _path = path;

    public int Next(IReadOnlyList<int> weights)
    {
        if (_depth < _path.Count)
        {
            return _path[_depth++].Taken;
        }

        _path.Add((0, weights.Count));
        _depth++;
        return 0;
    }

    /// <summary>Runs <paramref name="run"/> over every schedule (or the first <paramref name="maxSchedules"/>); stops at the first violation.</summary>
    public static (int Schedules, bool Exhausted, int Choices) Explore(Func<IChooser, string?> run, int maxSchedules, out string? failure)
    {
        var path = new List<(int Taken, int Options)>();
        var deepest = 0;
        for (var schedules = 1; schedules <= maxSchedules; schedules++)
        {
            var chooser = new SystematicChooser(path);
            if (run(chooser) is { } violation)
            {
                failure = $"schedule {string.Join(',', path.Select(p => p.Taken))}: {violation}";
                return (schedules, false, deepest);
            }

            path.RemoveRange(chooser._depth, path.Count - chooser._depth);
            deepest = Math.Max(deepest, path.Count);
            while (path.Count > 0 && path[^1].Taken + 1 >= path[^1].Options)
            {
                path.RemoveAt(path.Count - 1);
            }

            if (path.Count == 0)
            {
                failure = null;
                return (schedules, true, deepest);
            }

            path[^1] = (path[^1].Taken + 1, path[^1].Options);
        }

        failure = null;
        return (maxSchedules, false, deepest);
    }
}
