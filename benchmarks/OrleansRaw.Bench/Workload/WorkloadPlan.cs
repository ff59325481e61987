namespace OrleansRaw.Bench.Workload;

/// <summary>What a user writes in one step; each kind has its own read-back check.</summary>
public enum WriteKind
{
    Post,
    Profile,
    Cart,
}

/// <summary>Which of another user's data a foreign read asks for.</summary>
public enum ForeignKind
{
    Posts,
    Profile,
}

/// <summary>One step of a user: write, wait <paramref name="Think"/>, read the write back, then read another user's data.</summary>
public sealed record Step(WriteKind Write, TimeSpan Think, int ForeignUser, ForeignKind Foreign);

/// <summary>One simulated user: when it starts (after the cell starts) and its steps, in order.</summary>
public sealed record UserPlan(int Index, TimeSpan StartOffset, IReadOnlyList<Step> Steps);

/// <summary>
/// The seeded workload of one cell. Every user takes each think time exactly once, in an order drawn from the
/// seed, so each think time has the same number of samples and a cell lasts about the sum of the think times;
/// the write kinds and the foreign reads are drawn from the seed too. The same seed gives the same plan for
/// every strategy, so strategies are compared on the same workload.
/// </summary>
public sealed class WorkloadPlan
{
    private WorkloadPlan(WorkloadSettings settings, IReadOnlyList<UserPlan> users)
    {
        Settings = settings;
        Users = users;
    }

    public WorkloadSettings Settings { get; }

    public IReadOnlyList<UserPlan> Users { get; }

    /// <summary>Own reads the plan makes: one per step.</summary>
    public int OwnReads => Users.Sum(u => u.Steps.Count);

    /// <summary>The plan's length if every request took no time: the longest start offset plus think times.</summary>
    public TimeSpan IdealDuration => Users.Max(u => u.StartOffset + TimeSpan.FromTicks(u.Steps.Sum(s => s.Think.Ticks)));

    public static WorkloadPlan Create(WorkloadSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Users, 2);
        var random = new Random(settings.Seed);
        var users = new List<UserPlan>(settings.Users);
        for (var i = 0; i < settings.Users; i++)
        {
            var thinks = settings.ThinkTimes.ToArray();
            random.Shuffle(thinks);
            var steps = thinks.Select(think => new Step(
                (WriteKind)random.Next(3),
                think,
                OtherUser(random, i, settings.Users),
                (ForeignKind)random.Next(2))).ToList();
            users.Add(new UserPlan(i, TimeSpan.FromMilliseconds(random.NextDouble() * settings.StartSpread.TotalMilliseconds), steps));
        }

        return new WorkloadPlan(settings, users);
    }

    private static int OtherUser(Random random, int self, int users)
    {
        var other = random.Next(users - 1);
        return other >= self ? other + 1 : other;
    }
}

/// <summary>The shape of a cell's workload.</summary>
/// <param name="Users">Simulated users, all active at once.</param>
/// <param name="ThinkTimes">The pause between a write and reading it back; each user takes each one once.</param>
/// <param name="Seed">Seeds every random choice of the plan.</param>
/// <param name="StartSpread">Users start at a random offset within this, so the cell does not open with a burst.</param>
public sealed record WorkloadSettings(int Users, IReadOnlyList<TimeSpan> ThinkTimes, int Seed, TimeSpan StartSpread)
{
    /// <summary>The think times between a write and the read that follows it: at once, 100 ms, 1 s, 3 s and 10 s after the write.</summary>
    public static readonly IReadOnlyList<TimeSpan> FullThinkTimes =
        [TimeSpan.Zero, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10)];

    /// <summary>The smoke run's think times: the long ones shortened.</summary>
    public static readonly IReadOnlyList<TimeSpan> QuickThinkTimes =
        [TimeSpan.Zero, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

    public static WorkloadSettings Full(int users, int seed) => new(users, FullThinkTimes, seed, TimeSpan.FromSeconds(1));

    public static WorkloadSettings Quick(int users, int seed) => new(users, QuickThinkTimes, seed, TimeSpan.FromMilliseconds(300));
}
