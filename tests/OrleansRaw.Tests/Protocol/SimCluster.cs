using Microsoft.Extensions.Logging.Abstractions;
using OrleansRaw.Grains.Replicas;
using OrleansRaw.Grains.Users;
using OrleansRaw.Routing;

namespace OrleansRaw.Tests.Protocol;

/// <summary>
/// The user's grain as Orleans runs it: at most one activation (unless duplicates are allowed, to show what they
/// break), each on a silo node of its own, running the product's <see cref="LeaseGrantor"/> in turns — one call at a
/// time, reports interleaving. A killed silo answers nothing more, and a new activation can appear only once
/// membership has declared it dead; an idle activation deactivates gracefully.
/// </summary>
internal sealed class SimCluster(SimWorld world) : IPrimaryPosition
{
    public const string UserId = "1";

    private readonly List<SimActivation> _live = [];
    private readonly LeaseHolderReferences _holders = new(holder => ((SimHolder)holder).Id);
    private TimeSpan _availableAt;
    private TimeSpan? _departureSeenAt;
    private TimeSpan _lastSample = TimeSpan.FromDays(-1);
    private int _activations;
    private ActivationFloor? _floor;

    public IEnumerable<SimNode> Nodes => _live.Select(a => a.Node);

    private ActivationFloor Floor => _floor ??= new ActivationFloor(this, new SimClock(world), world.Settings.Options);

    public Task<WalPosition> ReadAsync() => Task.FromResult(SimWorld.Position(world.Primary));

    /// <summary>The activation a call arriving now goes to: the live one (a duplicate, at random), or a new one; null while none may exist.</summary>
    public SimActivation? Route()
    {
        var live = _live.Where(a => !a.Deactivating).ToList();
        if (live.Count > 0)
        {
            return live[world.Choose(live.Count)];
        }

        return world.Now >= _availableAt && _live.Count == 0 ? Activate() : null;
    }

    /// <summary>Feeds the activation floor as a silo's feed would: the primary's position over time, and silos seen leaving.</summary>
    public void Tick()
    {
        if (_departureSeenAt is { } seen && world.Now >= seen)
        {
            Floor.SiloLeft(world.Now.Ticks);
            _departureSeenAt = null;
        }

        if (world.Now - _lastSample >= TimeSpan.FromMilliseconds(250))
        {
            _lastSample = world.Now;
            Floor.Sampled(SimWorld.Position(world.Primary), world.Now.Ticks);
        }
    }

    public void AddFaults(List<(int, Action)> choices)
    {
        foreach (var activation in _live.Where(a => a.Active))
        {
            choices.Add((1, () => Kill(activation)));
            if (activation.Idle)
            {
                choices.Add((2, activation.Deactivate));
            }
        }

        if (world.Settings.DuplicateActivations && _live.Count == 1)
        {
            choices.Add((2, () => Activate()));
        }
    }

    public void StepWallClock(TimeSpan by)
    {
        foreach (var activation in _live)
        {
            activation.Node.Clock.StepWallClock(by);
        }
    }

    public void Gone(SimActivation activation) => _live.Remove(activation);

    private void Kill(SimActivation activation)
    {
        world.Note($"kill silo of {activation.Node.Name}");
        activation.Node.Kill();
        _live.Remove(activation);
        _availableAt = world.Now + world.Settings.DeathDetection;
        _departureSeenAt = _availableAt;
    }

    private SimActivation Activate()
    {
        var node = new SimNode($"silo-{++_activations}", world);
        node.Clock.Node = node;
        var services = new UserGrainServices(this, Floor,
            new RoutingPolicy(world.Settings.Options.Value), _holders, node.Clock, NullLogger<UserConsistencyGrain>.Instance)
        {
            Flaws = world.Settings.Flaws,
        };
        var activation = new SimActivation(world, this, node, services);
        _live.Add(activation);
        world.Note($"activate {node.Name}");
        activation.Start();
        return activation;
    }
}

/// <summary>One activation of the user's grain: the product's <see cref="LeaseGrantor"/> behind an Orleans-like mailbox.</summary>
internal sealed class SimActivation : ILeaseGrantorHost
{
    private readonly SimWorld _world;
    private readonly SimCluster _cluster;
    private readonly LeaseGrantor _grantor;
    private readonly List<(Func<LeaseGrantor, Task> Call, bool Interleave)> _mailbox = [];
    private bool _busy = true;
    private TimeSpan _lastCall;

    public SimActivation(SimWorld world, SimCluster cluster, SimNode node, UserGrainServices services)
    {
        _world = world;
        _cluster = cluster;
        Node = node;
        Services = services;
        _grantor = new LeaseGrantor(this);
        _lastCall = world.Now;
    }

    public SimNode Node { get; }

    public string UserId => SimCluster.UserId;

    public ActivationId Epoch { get; } = ActivationId.NewId();

    public UserGrainServices Services { get; }

    public bool Active => !Node.Dead && !Deactivating;

    public bool Deactivating { get; private set; }

    public bool Idle => !_busy && _mailbox.Count == 0 && _world.Now - _lastCall >= _world.Settings.IdleDeactivation;

    public void Start() => Node.Post(() => _ = TurnAsync(g => g.ActivateAsync(CancellationToken.None)));

    public void Deactivate()
    {
        _world.Note($"deactivate {Node.Name} (idle)");
        Deactivating = true;
        _busy = true;
        Node.Post(() => _ = DeactivateAsync());
    }

    /// <summary>A call arrives: it runs in its turn (or at once, if it interleaves).</summary>
    public void Enqueue(Func<LeaseGrantor, Task> call, bool interleave)
    {
        _lastCall = _world.Now;
        _mailbox.Add((call, interleave));
        Pump();
    }

    private void Pump()
    {
        for (var i = 0; i < _mailbox.Count; i++)
        {
            var (call, interleave) = _mailbox[i];
            if (interleave || !_busy)
            {
                _mailbox.RemoveAt(i--);
                _busy |= !interleave;
                Node.Post(() => _ = interleave ? call(_grantor) : TurnAsync(call));
            }
        }
    }

    private async Task TurnAsync(Func<LeaseGrantor, Task> call)
    {
        try
        {
            await call(_grantor);
        }
        finally
        {
            _lastCall = _world.Now;
            _busy = false;
            Pump();
        }
    }

    private async Task DeactivateAsync()
    {
        await _grantor.DeactivateAsync();
        _cluster.Gone(this);
        _world.Note($"{Node.Name} deactivated");

        // Calls that arrived meanwhile go to the next activation, as Orleans forwards them.
        foreach (var (call, interleave) in _mailbox)
        {
            _cluster.Route()?.Enqueue(call, interleave);
        }
    }
}
