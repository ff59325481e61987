using System.Text;
using Microsoft.Extensions.Options;
using OrleansRaw.Routing;

namespace OrleansRaw.Tests.Protocol;

/// <summary>Picks among the choices of a step: seeded at random (by weight), or systematically (see <see cref="SystematicChooser"/>).</summary>
internal interface IChooser
{
    int Next(IReadOnlyList<int> weights);
}

internal sealed class RandomChooser(int seed) : IChooser
{
    private readonly Random _random = new(seed);

    public int Next(IReadOnlyList<int> weights)
    {
        var pick = _random.Next(weights.Sum());
        for (var i = 0; i < weights.Count; i++)
        {
            if ((pick -= weights[i]) < 0)
            {
                return i;
            }
        }

        return weights.Count - 1;
    }
}

/// <summary>What a schedule may do: how many servers and operations, which faults, and how the protocol is broken (if at all).</summary>
internal sealed record SimSettings
{
    public int Servers { get; init; } = 2;
    public int Operations { get; init; } = 24;
    public int MaxSteps { get; init; } = 4_000;
    public bool ServerFaults { get; init; } = true;
    public bool GrainFaults { get; init; } = true;
    public bool ClockSteps { get; init; } = true;
    public bool DropMessages { get; init; } = true;
    public bool DuplicateActivations { get; init; }

    /// <summary>How often (by weight, against 1 for each other fault) a server's connection resets, losing its messages in flight.</summary>
    public int ConnectionResets { get; init; } = 1;
    public ProtocolFlaws Flaws { get; init; }
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan DecisionTimeout { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan IdleDeactivation { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long after a silo dies a new activation may appear: membership's probe timeout × missed probes, at least twice a lease.</summary>
    public TimeSpan DeathDetection { get; init; } = TimeSpan.FromSeconds(2);

    public IOptions<ConsistencyOptions> Options => Microsoft.Extensions.Options.Options.Create(new ConsistencyOptions
    {
        ReaderLease = Lease, DecisionTimeout = DecisionTimeout, IdleDeactivation = IdleDeactivation,
    });
}

/// <summary>
/// One user, one grain (or, on purpose, two activations of it), 2–3 API servers running the product's
/// <see cref="ReaderLeases"/> and the grain running the product's lease protocol, a primary and two replicas, all
/// over a scheduler the explorer drives: each step runs one queued continuation of one process, delivers (or drops)
/// one message, starts a client's write or read, advances time, lets a replica replay, or injects a fault. The history
/// is checked as each read completes.
/// </summary>
internal sealed class SimWorld
{
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly IChooser _chooser;
    private readonly List<SimTimer> _timers = [];
    private readonly List<SimMessage> _inFlight = [];
    private readonly StringBuilder _log = new();
    private int _opsStarted;

    public SimWorld(SimSettings settings, IChooser chooser)
    {
        Settings = settings;
        _chooser = chooser;
        Cluster = new SimCluster(this);
        Servers = [.. Enumerable.Range(1, settings.Servers).Select(i => new SimServer(this, $"api-{i}"))];
    }

    public SimSettings Settings { get; }

    public TimeSpan Now { get; private set; }

    public long Sequence { get; private set; }

    public long Primary { get; private set; } = 100;

    public long[] Replicas { get; } = [100, 100];

    public SimCluster Cluster { get; }

    public List<SimServer> Servers { get; }

    public SimHistory History { get; } = new();

    public string Log => _log.ToString();

    public static WalPosition Position(long lsn) => new(1, new Lsn((ulong)lsn));

    public static long Lsn(WalPosition position) => (long)position.Lsn.Value;

    /// <summary>Commits a write on the primary and returns its position.</summary>
    public long Commit() => Primary += 10;

    public int Choose(int options) => options <= 1 ? 0 : _chooser.Next(Enumerable.Repeat(1, options).ToList());

    public void Note(string what) => _log.Append('[').Append(Sequence).Append(" t=").Append(Now.TotalMilliseconds).Append("ms] ").AppendLine(what);

    public ITimer AddTimer(SimNode node, TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SimTimer(this, node, callback, state);
        timer.Change(dueTime, period);
        _timers.Add(timer);
        return timer;
    }

    /// <summary>Sends a message from one node to another; it is delivered (or lost) when the explorer says.</summary>
    public void Send(SimNode from, SimNode to, string what, Action deliver, bool droppable = true)
    {
        if (!from.Dead)
        {
            _inFlight.Add(new SimMessage($"{from.Name}->{to.Name} {what}", to, deliver, droppable));
        }
    }

    /// <summary>Runs the schedule to its end; returns the first violation, or null.</summary>
    public string? Run()
    {
        // An await prefers a synchronization context to the task scheduler: xUnit's would take continuations to other threads.
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            return RunSteps();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    /// <summary>Starts the servers (a scripted schedule calls this, then drives the world step by step).</summary>
    public void Start()
    {
        Cluster.Tick();
        foreach (var server in Servers)
        {
            server.Start();
        }
    }

    /// <summary>Runs every queued continuation and delivers every message in flight, oldest first, until nothing is left but <paramref name="held"/> messages; time stands still.</summary>
    public void Settle(Func<string, bool>? held = null)
    {
        for (var guard = 0; guard < 100_000; guard++)
        {
            Sequence++;
            if (Nodes().FirstOrDefault(n => n.Runnable) is { } node)
            {
                node.RunOne(0);
            }
            else if (_inFlight.FindIndex(m => held?.Invoke(m.What) != true) is var index and >= 0)
            {
                Deliver(index);
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>Loses every message in flight whose description matches.</summary>
    public void Lose(Func<string, bool> which)
    {
        foreach (var message in _inFlight.Where(m => which(m.What)).ToList())
        {
            Note("lose " + message.What);
            _inFlight.Remove(message);
        }
    }

    /// <summary>Advances time by <paramref name="span"/>, firing the timers due, and settles after each (but <paramref name="held"/> messages).</summary>
    public void Advance(TimeSpan span, Func<string, bool>? held = null)
    {
        var to = Now + span;
        while (_timers.Where(t => t.DueAt is { } at && at <= to && !t.Node.Dead).OrderBy(t => t.DueAt).FirstOrDefault() is { } due)
        {
            Now = due.DueAt!.Value;
            Cluster.Tick();
            due.Fire();
            Settle(held);
        }

        Now = to;
        Cluster.Tick();
        Settle(held);
    }

    /// <summary>Someone else commits a write: the primary moves on, the replicas stay.</summary>
    public void OthersWrite() => Note($"another user committed {Commit()}");

    public void Replay(int replica, long to) => Replicas[replica] = Math.Min(Primary, to);

    private string? RunSteps()
    {
        Start();

        for (var step = 0; step < Settings.MaxSteps && History.Violation is null; step++)
        {
            Sequence++;
            var choices = Choices();
            if (choices.Count == 0)
            {
                break;
            }

            choices[_chooser.Next([.. choices.Select(c => c.Weight)])].Act();
        }

        return History.Violation;
    }

    private List<(int Weight, Action Act)> Choices()
    {
        var choices = new List<(int, Action)>();
        foreach (var node in Nodes().Where(n => n.Runnable))
        {
            choices.Add((40, () => node.RunOne(Choose(node.Queued))));
        }

        if (_inFlight.Count > 0)
        {
            choices.Add((30, () => Deliver(Choose(_inFlight.Count))));
            if (Settings.DropMessages)
            {
                choices.Add((1, () => Drop(Choose(_inFlight.Count))));
            }
        }

        var live = Servers.Where(s => s.Up).ToList();
        if (_opsStarted < Settings.Operations && live.Count > 0)
        {
            choices.Add((6, () => StartOperation(live[Choose(live.Count)])));
        }

        var busy = _opsStarted < Settings.Operations || History.InProgress > 0 || _inFlight.Count > 0 || Nodes().Any(n => n.Runnable);
        if (busy)
        {
            choices.Add((8, () => Advance(Choose(4))));
            choices.Add((4, () => Replay(Choose(2), Choose(2) == 0)));
            AddFaults(choices, live);
        }

        return choices;
    }

    private void AddFaults(List<(int, Action)> choices, List<SimServer> live)
    {
        if (Settings.ServerFaults)
        {
            foreach (var server in Servers)
            {
                if (server.Up && !server.Paused)
                {
                    choices.Add((1, server.Pause));
                    choices.Add((1, server.Kill));
                    choices.Add((Settings.ConnectionResets, () => ResetConnection(server.Node)));
                }
                else if (server.Paused)
                {
                    choices.Add((4, server.Resume));
                }
                else
                {
                    choices.Add((4, server.Start));
                }
            }
        }

        if (Settings.GrainFaults)
        {
            Cluster.AddFaults(choices);
        }

        if (Settings.ClockSteps)
        {
            choices.Add((1, () => Cluster.StepWallClock(TimeSpan.FromSeconds(Choose(2) == 0 ? 5 : -5))));
            if (live.Count > 0)
            {
                choices.Add((1, () => live[Choose(live.Count)].Node.Clock.StepWallClock(TimeSpan.FromSeconds(Choose(2) == 0 ? 5 : -5))));
            }
        }
    }

    private IEnumerable<SimNode> Nodes() => Servers.Where(s => s.Up).Select(s => s.Node).Concat(Cluster.Nodes);

    private void StartOperation(SimServer server)
    {
        _opsStarted++;
        switch (Choose(3))
        {
            case 0: server.Write(); break;
            case 1: server.Read(own: true); break;
            default: server.Read(own: false); break;
        }
    }

    private void Deliver(int index)
    {
        var message = _inFlight[index];
        _inFlight.RemoveAt(index);
        Note("deliver " + message.What);
        message.Deliver();
    }

    // A server's connection to its gateway drops (the gateway's silo died): every message in flight from or to it is lost.
    private void ResetConnection(SimNode server)
    {
        Note($"connection of {server.Name} reset");
        _inFlight.RemoveAll(m => m.Droppable && m.What.StartsWith(server.Name + "->", StringComparison.Ordinal) || m.To == server);
    }

    private void Drop(int index)
    {
        var message = _inFlight[index];
        if (message.Droppable)
        {
            _inFlight.RemoveAt(index);
            Note("drop " + message.What);
        }
    }

    // Advances to the next timer (0), or by 10 ms, 300 ms or 1.2 s, firing every timer due by then.
    private void Advance(int how)
    {
        var next = _timers.Where(t => t.DueAt is not null && !t.Node.Dead).Select(t => t.DueAt!.Value).DefaultIfEmpty(Now + TimeSpan.FromMilliseconds(10)).Min();
        var to = how switch
        {
            0 => next > Now ? next : Now + TimeSpan.FromMilliseconds(1),
            1 => Now + TimeSpan.FromMilliseconds(10),
            2 => Now + TimeSpan.FromMilliseconds(300),
            _ => Now + TimeSpan.FromMilliseconds(1200),
        };
        Note($"advance to {to.TotalMilliseconds} ms");
        while (true)
        {
            var due = _timers.Where(t => t.DueAt is { } at && at <= to && !t.Node.Dead).OrderBy(t => t.DueAt).FirstOrDefault();
            if (due is null)
            {
                break;
            }

            Now = due.DueAt!.Value;
            Cluster.Tick();
            due.Fire();
        }

        Now = to;
        _timers.RemoveAll(t => t.Node.Dead);
        Cluster.Tick();
    }

    private void Replay(int replica, bool all)
    {
        Replicas[replica] = all ? Primary : Math.Min(Primary, Replicas[replica] + 10);
        Note($"replica-{replica + 1} replays to {Replicas[replica]}");
    }

    private sealed record SimMessage(string What, SimNode To, Action Deliver, bool Droppable);
}

/// <summary>Takes the first option of every choice: a scripted schedule decides the rest itself.</summary>
internal sealed class FirstChoice : IChooser
{
    public int Next(IReadOnlyList<int> weights) => 0;
}
