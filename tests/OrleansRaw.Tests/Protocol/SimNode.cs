namespace OrleansRaw.Tests.Protocol;

/// <summary>
/// One process of the simulation (an API server or a silo): a single-threaded task queue that runs only when the
/// explorer picks it, and the process's clock. Every continuation of code running here comes back to this queue, so
/// the explorer decides the order of every step; a paused node runs nothing, a killed one loses its queue.
/// </summary>
internal sealed class SimNode(string name, SimWorld world) : TaskScheduler
{
    private readonly List<Task> _queue = [];

    public string Name => name;

    public SimClock Clock { get; } = new(world);

    public bool Paused { get; set; }

    public bool Dead { get; private set; }

    public bool Runnable => !Paused && !Dead && _queue.Count > 0;

    public int Queued => _queue.Count;

    /// <summary>Runs <paramref name="work"/> on this node (its continuations stay here).</summary>
    public void Post(Action work)
    {
        if (!Dead)
        {
            Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.None, this);
        }
    }

    /// <summary>Runs the <paramref name="index"/>-th queued task (modulo the queue's length).</summary>
    public void RunOne(int index)
    {
        var task = _queue[index % _queue.Count];
        _queue.Remove(task);
        TryExecuteTask(task);
    }

    public void Kill()
    {
        Dead = true;
        _queue.Clear();
    }

    protected override void QueueTask(Task task)
    {
        if (!Dead)
        {
            _queue.Add(task);
        }
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks() => _queue;
}

/// <summary>
/// A node's clock: the world's virtual time, read monotonically (the timestamp never steps), and a wall clock that the
/// explorer may step forward or back on this node alone. Timers fire on the node that made them, when the explorer
/// advances time.
/// </summary>
internal sealed class SimClock(SimWorld world) : TimeProvider
{
    private TimeSpan _wallOffset;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>The node its timers fire on; none for a clock shared by a silo's services (the caller's node then).</summary>
    public SimNode? Node { get; set; }

    public override long GetTimestamp() => world.Now.Ticks;

    public override DateTimeOffset GetUtcNow() => SimWorld.Epoch + world.Now + _wallOffset;

    public void StepWallClock(TimeSpan by) => _wallOffset += by;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        world.AddTimer(Node ?? (SimNode)TaskScheduler.Current, callback, state, dueTime, period);
}

/// <summary>A timer of the simulation: due at a virtual time, run on its node's queue.</summary>
internal sealed class SimTimer(SimWorld world, SimNode node, TimerCallback callback, object? state) : ITimer
{
    public SimNode Node => node;

    public TimeSpan? DueAt { get; set; }

    public TimeSpan Period { get; set; }

    public void Fire()
    {
        DueAt = Period > TimeSpan.Zero && Period != Timeout.InfiniteTimeSpan ? world.Now + Period : null;
        node.Post(() => callback(state));
    }

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : world.Now + dueTime;
        Period = period;
        return true;
    }

    public void Dispose() => DueAt = null;

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
