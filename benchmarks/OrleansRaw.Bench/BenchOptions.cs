using System.Globalization;
using OrleansRaw.Bench.Harness;

namespace OrleansRaw.Bench;

/// <summary>The command line of <c>./bench</c>.</summary>
public sealed record BenchOptions
{
    public const string Usage = """
        ./bench [options]       benchmark the routing strategies, pgpool-II and the Direct baseline (no routing) on the
                                same seeded workload, then what routing costs against Direct (~20 min on 2 cores)
          --quick               smoke run (~4 min): 20 users, think times up to 2 s, lag 300 ms only, 30 probe
                                iterations, 3 s capacity windows, short routing runs; the report goes to
                                .data/bench-run/report, not docs/
          --users N             simulated users per cell (default 200; 20 with --quick)
          --seed N              seed of the workload plans (default 42)
          --reps N              repetitions (default 1: each figure is then one run's; 3 gives median and range)
          --only a,b            only these strategies (eventual and direct are always kept: the ratios are to them):
                                always-primary, window-5s, window-auto, lsn-0, lsn-100, lsn-100-no-monotonic,
                                pgpool-transaction, pgpool-always. Default: always-primary, window-5s, lsn-100,
                                lsn-100-no-monotonic, pgpool-transaction
          --lags a,b            only these lag profiles: 0, 50, 300, spike
          --probe-iterations N  write-then-read iterations of the read-at-once probe per lag profile (default 200;
                                30 with --quick); the probe runs for direct, eventual and lsn-100
          --out DIR             where benchmarks.md and benchmarks.svg go (default docs/)
          --render FILE         no run: write the report and chart again from a run's saved results
                                (.data/bench-run/results.json), e.g. after changing the report's text
          --scale               instead of the above (~5 min): silo memory per user grain (100,000 grains on one
                                silo), Redis per user (10,000 users writing once through the API), and routing
                                decisions from a fresh lease per second on 1, 2 and 3 silos; writes
                                docs/scaling-figures.md (with --quick: 10,000 grains, 1,000 users, 2 s windows,
                                into .data/bench-run/report)
          --grains N            user grains the --scale memory figure activates (default 100000)
          --redis-users N       users the --scale Redis figure has write (default 10000)
          --decision-users N    users the --scale leased decisions go round (default 256; more than a silo's
                                Orleans:Directory:CacheSize makes most calls look the grain up in the directory)
          --gcdump              --scale: also dump the silo's heap before and after the grains (needs dotnet-gcdump:
                                dotnet tool install -g dotnet-gcdump) into .data/bench-run
        """;

    public bool Quick { get; init; }

    /// <summary>Measure what users cost and what silos answer (<c>--scale</c>) instead of the strategies.</summary>
    public bool Scale { get; init; }

    /// <summary><c>--scale</c>: user grains activated for the memory figure.</summary>
    public int ScaleGrains { get; init; } = 100_000;

    /// <summary><c>--scale</c>: dump the silo's heap (dotnet-gcdump) around the memory figure.</summary>
    public bool GcDump { get; init; }

    /// <summary><c>--scale</c>: users who write once for the Redis figure.</summary>
    public int ScaleUsers { get; init; } = 10_000;

    /// <summary><c>--scale</c>: users whose grains the leased-decision figures call in turn.</summary>
    public int DecisionUsers { get; init; } = 256;

    public int Users { get; init; } = 200;

    public int Seed { get; init; } = 42;

    public int Repetitions { get; init; } = 1;

    public IReadOnlyList<Strategy> Strategies { get; init; } = Strategy.Default;

    /// <summary>Iterations of the read-right-after-a-write probe per strategy and lag profile.</summary>
    public int ProbeIterations { get; init; } = 200;

    public IReadOnlyList<LagProfile> Lags { get; init; } = LagProfile.Full;

    public string? OutDirectory { get; init; }

    /// <summary>Saved results to render again instead of running.</summary>
    public string? RenderFrom { get; init; }

    public required string Root { get; init; }

    /// <summary>The command as typed, for the report.</summary>
    public required string Command { get; init; }

    public TimeSpan DecisionDuration => Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(5);

    public TimeSpan ThroughputDuration => Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(6);

    /// <summary>The measured window of the mixed-workload capacity run (after its warm-up).</summary>
    public TimeSpan CapacityDuration => Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(10);

    public TimeSpan CapacityWarmUp => Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(2);

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        string? root = null;
        var quick = args.Contains("--quick");
        var options = new BenchOptions
        {
            Root = "",
            Command = "./bench" + string.Concat(args.Where((a, i) => a != "--root" && (i == 0 || args[i - 1] != "--root")).Select(a => " " + a)),
            Quick = quick,
            Users = quick ? 20 : 200,
            Lags = quick ? [LagProfile.Quick] : LagProfile.Full,
            ProbeIterations = quick ? 30 : 200,
            Scale = args.Contains("--scale"),
            GcDump = args.Contains("--gcdump"),
            ScaleGrains = quick ? 10_000 : 100_000,
            ScaleUsers = quick ? 1_000 : 10_000,
        };

        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--quick" or "--scale" or "--gcdump":
                    break;
                case "--grains":
                    options = options with { ScaleGrains = Number(Value(), 1_000, 2_000_000) };
                    break;
                case "--redis-users":
                    options = options with { ScaleUsers = Number(Value(), 10, 1_000_000) };
                    break;
                case "--decision-users":
                    options = options with { DecisionUsers = Number(Value(), 64, 1_000_000) };
                    break;
                case "--root":
                    root = Value();
                    break;
                case "--users":
                    options = options with { Users = Number(Value(), 2, 10_000) };
                    break;
                case "--seed":
                    options = options with { Seed = Number(Value(), 0, int.MaxValue) };
                    break;
                case "--reps":
                    options = options with { Repetitions = Number(Value(), 1, 20) };
                    break;
                case "--only":
                    var keys = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
                    var unknown = keys.Except(Strategy.All.Select(s => s.Key)).ToList();
                    if (unknown.Count > 0)
                    {
                        throw new ArgumentException("unknown strategy: " + string.Join(", ", unknown));
                    }

                    options = options with { Strategies = [.. Strategy.All.Where(s => s.IsBaseline || keys.Contains(s.Key))] };
                    break;
                case "--lags":
                    options = options with { Lags = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Lag)] };
                    break;
                case "--probe-iterations":
                    options = options with { ProbeIterations = Number(Value(), 1, 100_000) };
                    break;
                case "--render":
                    options = options with { RenderFrom = Path.GetFullPath(Value()) };
                    break;
                case "--out":
                    options = options with { OutDirectory = Value() };
                    break;
                default:
                    throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        return options with { Root = root ?? Directory.GetCurrentDirectory() };
    }

    private static LagProfile Lag(string key) => key switch
    {
        "spike" => LagProfile.SpikeTo2s,
        _ when int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= 60_000 => LagProfile.Steadily(ms),
        _ => throw new ArgumentException($"unknown lag profile {key} (a number of milliseconds, or spike)"),
    };

    private static int Number(string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"'{text}' is not a whole number from {min} to {max}");
}
