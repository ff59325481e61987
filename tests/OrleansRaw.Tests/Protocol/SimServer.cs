using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansRaw.ReadYourWrites;
using OrleansRaw.Grains.Users;
using OrleansRaw.Routing;

namespace OrleansRaw.Tests.Protocol;

/// <summary>
/// An API server process: the product's <see cref="ReaderLeases"/> on a node of its own, and the request path around
/// it as the product runs it — a write commits on the primary, then is recorded (acknowledged only once recorded); a
/// read takes the user's state within the decision timeout (else the primary), runs on a replica that has replayed
/// the floor the policy takes from that state (else the primary), and notes what it served before its response leaves.
/// </summary>
internal sealed class SimServer(SimWorld world, string name)
{
    private static readonly ReadYourWritesMetrics Metrics = new(
        new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
        new ReplicaSnapshotFeed(null!, TimeProvider.System, NullLogger<ReplicaSnapshotFeed>.Instance), []);

    private int _incarnation;

    public SimNode Node { get; private set; } = null!;

    public ReaderLeases Leases { get; private set; } = null!;

    public GrainId HolderId { get; private set; }

    public bool Up => Node is { Dead: false };

    public bool Paused => Node.Paused;

    /// <summary>Starts the server process (again): a new holder identity, nothing held.</summary>
    public void Start()
    {
        var incarnation = ++_incarnation;
        Node = new SimNode($"{name}#{incarnation}", world);
        Node.Clock.Node = Node;
        HolderId = GrainId.Create("sim-server", $"{name}-{incarnation}");
        Leases = new ReaderLeases(new SimGrainFactory(world, this), Metrics, Node.Clock, world.Settings.Options, NullLogger<ReaderLeases>.Instance)
        {
            Flaws = world.Settings.Flaws,
        };
        world.Note($"start {Node.Name}");
    }

    public void Pause()
    {
        Node.Paused = true;
        world.Note($"pause {Node.Name}");
    }

    public void Resume()
    {
        Node.Paused = false;
        world.Note($"resume {Node.Name}");
    }

    public void Kill()
    {
        world.Note($"kill {Node.Name}");
        Node.Kill();
        Leases.Dispose();
    }

    public void Write()
    {
        world.History.Begin();
        Node.Post(() => _ = WriteAsync());
    }

    public void Read(bool own)
    {
        world.History.Begin();
        Node.Post(() => _ = ReadAsync(own));
    }

    private async Task WriteAsync()
    {
        var position = world.Commit();
        world.Note($"{Node.Name} committed {position}");
        try
        {
            var settings = world.Settings;
            await Leases.RecordWriteAsync(SimCluster.UserId, new WriteRecord(SimWorld.Position(position), Node.Clock.GetUtcNow()))
                .WaitAsync(settings.DecisionTimeout + settings.Lease, Node.Clock);
            world.Note($"{Node.Name} acknowledged {position}");
            world.History.Acked(world.Sequence, position);
        }
        catch (Exception ex)
        {
            world.Note($"{Node.Name} write {position} not acknowledged: {ex.GetType().Name}");
            world.History.Failed();
        }
    }

    private async Task ReadAsync(bool own)
    {
        var began = world.Sequence;
        ReaderState? state = null;
        try
        {
            state = await Leases.StateAsync(SimCluster.UserId).AsTask().WaitAsync(world.Settings.DecisionTimeout, Node.Clock);
        }
        catch (Exception)
        {
            // No decision in time: the primary, always safe.
        }

        long served;
        string where;
        if (state is not { } reader)
        {
            (served, where) = (world.Primary, "primary (no decision)");
        }
        else
        {
            var floor = own ? SimWorld.Lsn(WalPosition.Latest(reader.LastWrite.Position, reader.SeenOwn.Position)) : SimWorld.Lsn(reader.SeenOthers.Position);
            var replica = world.Choose(2);
            (served, where) = world.Replicas[replica] >= floor ? (world.Replicas[replica], $"replica-{replica + 1}") : (world.Primary, "primary");
        }

        var tokenOnly = false;
        try
        {
            await Leases.NoteServedAsync(SimCluster.UserId, SimWorld.Position(served), own);
        }
        catch (Exception)
        {
            // Served all the same: the position goes with this server's next call, and in the response's token.
            tokenOnly = true;
        }

        world.Note($"{Node.Name} {(own ? "own" : "others'")} read (from #{began}) served {served} from {where}; state {state?.SeenOthers.Position.Lsn.Value}");
        world.History.Read(own, began, world.Sequence, served, $"{Node.Name} ({where}{(tokenOnly ? ", not reported" : "")})", Node.Name, tokenOnly);
    }
}

/// <summary>A server's reference to itself as the grain sees it: calls go through the world's network to its node.</summary>
internal sealed class SimHolder(SimWorld world, SimServer server, SimNode node, GrainId id) : IReaderLeaseHolder
{
    public GrainId Id => id;

    public Task<LeaseReport> RevokeAsync(string userId, ActivationId epoch, long version) =>
        Call("revoke", holder => holder.RevokeAsync(userId, epoch, version));

    public Task<LeaseReport> ShareAsync(string userId) => Call("share", holder => holder.ShareAsync(userId));

    private Task<LeaseReport> Call(string what, Func<IReaderLeaseHolder, Task<LeaseReport>> call)
    {
        // Made on the calling activation's node: its reply returns there.
        var caller = (SimNode)TaskScheduler.Current;
        var reply = new TaskCompletionSource<LeaseReport>();
        world.Send(caller, node, what, () => node.Post(() => _ = AnswerAsync()));
        return reply.Task;

        async Task AnswerAsync()
        {
            var report = await call(server.Leases);
            world.Send(node, caller, what + " reply", () => caller.Post(() => reply.TrySetResult(report)));
        }
    }
}

/// <summary>The server's view of the cluster: grain calls become messages to whichever activation is live when they arrive.</summary>
internal sealed class SimGrainFactory(SimWorld world, SimServer server) : IGrainFactory
{
    public TGrainInterface GetGrain<TGrainInterface>(string primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithStringKey =>
        (TGrainInterface)(object)new SimGrainReference(world, server);

    public TGrainObserverInterface CreateObjectReference<TGrainObserverInterface>(IGrainObserver obj) where TGrainObserverInterface : IGrainObserver =>
        (TGrainObserverInterface)(object)new SimHolder(world, server, server.Node, server.HolderId);

    // The rest of IGrainFactory: the lease protocol uses none of it.
    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithGuidKey => throw new NotSupportedException();
    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithIntegerKey => throw new NotSupportedException();
    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string keyExtension, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithGuidCompoundKey => throw new NotSupportedException();
    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string keyExtension, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithIntegerCompoundKey => throw new NotSupportedException();
    public void DeleteObjectReference<TGrainObserverInterface>(IGrainObserver obj) where TGrainObserverInterface : IGrainObserver => throw new NotSupportedException();
    public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey) => throw new NotSupportedException();
    public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey) => throw new NotSupportedException();
    public IGrain GetGrain(Type grainInterfaceType, string grainPrimaryKey) => throw new NotSupportedException();
    public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey, string keyExtension) => throw new NotSupportedException();
    public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey, string keyExtension) => throw new NotSupportedException();
    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId) where TGrainInterface : IAddressable => throw new NotSupportedException();
    public IAddressable GetGrain(GrainId grainId) => throw new NotSupportedException();
    public IAddressable GetGrain(GrainId grainId, GrainInterfaceType interfaceType) => throw new NotSupportedException();
    public IAddressable GetGrain(Type grainInterfaceType, IdSpan grainPrimaryKey) => throw new NotSupportedException();
    public IAddressable GetGrain(Type grainInterfaceType, IdSpan grainPrimaryKey, string grainClassNamePrefix) => throw new NotSupportedException();
}

/// <summary>A grain reference: each call is a message to the live activation, and its answer a message back.</summary>
internal sealed class SimGrainReference(SimWorld world, SimServer server) : IUserConsistencyGrain
{
    public Task<ReaderLease?> RecordWriteAsync(WriteRecord write, IReaderLeaseHolder? writer, LeaseReport report) =>
        Call("record-write", g => g.RecordWriteAsync(write, writer, report));

    public Task<ReaderLease> LeaseAsync(IReaderLeaseHolder holder, LeaseReport report) => Call("lease", g => g.LeaseAsync(holder, report));

    public Task ReportServedAsync(LeaseReport report, IReaderLeaseHolder reporter) =>
        Call("report-served", async g => { await g.ReportServedAsync(report, reporter); return true; });

    public Task ReportAsync(LeaseReport report) => Call("report", g => { g.Report(report); return Task.FromResult(true); }, interleave: true);

    public Task<UserConsistencyView> GetViewAsync() => throw new NotSupportedException();

    private Task<T> Call<T>(string what, Func<LeaseGrantor, Task<T>> call, bool interleave = false)
    {
        var from = server.Node;
        var reply = new TaskCompletionSource<T>();
        world.Send(from, from, what, () =>
        {
            if (world.Cluster.Route() is not { } activation)
            {
                world.Note($"{what} from {from.Name} lost: no activation");
                return;
            }

            activation.Enqueue(async grantor =>
            {
                var result = await call(grantor);
                world.Send(activation.Node, from, what + " reply", () => from.Post(() => reply.TrySetResult(result)));
            }, interleave);
        });
        return reply.Task;
    }
}
