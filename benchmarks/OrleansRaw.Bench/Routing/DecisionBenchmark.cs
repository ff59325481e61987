using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using OrleansRaw.Bench.Scale;
using OrleansRaw.Routing;

namespace OrleansRaw.Bench.Routing;

/// <summary>
/// The routing decision on its own, taken as the API takes it for a user whose state it holds no lease on (the user's
/// first read on this server, or once the lease ran out): this process joins the running cluster as an Orleans client,
/// exactly as the API does (Redis clustering, a silo gateway), leases the user's state from their grain
/// (<see cref="IUserConsistencyGrain.LeaseAsync"/>), and runs the product's <see cref="RoutingPolicy"/> on it with the
/// replica snapshot its own <see cref="ReplicaSnapshotFeed"/> keeps. Users' last writes are ones every replica has
/// replayed, so the decision is made at once and no wait is timed.
/// </summary>
public sealed class DecisionBenchmark : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly SoleLeaseHolder _holder = new();
    private readonly IReaderLeaseHolder _holderReference;
    private readonly ReplicaSnapshotFeed _snapshots;
    private readonly RoutingPolicy _policy = new(new ConsistencyOptions { Mode = ConsistencyMode.Lsn, MaxReplicaWait = TimeSpan.FromMilliseconds(100) });

    private DecisionBenchmark(IHost host)
    {
        _host = host;
        // Orleans holds the object behind a reference weakly: the field keeps it alive.
        _holderReference = Client.CreateObjectReference<IReaderLeaseHolder>(_holder);
        _snapshots = host.Services.GetRequiredService<ReplicaSnapshotFeed>();
    }

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public static async Task<DecisionBenchmark> ConnectAsync(string redis, string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = serviceId;
            });
            client.UseRedisClustering(redis);
        });
        // The snapshot the decisions read, kept as the API keeps its own (after the client, which it calls).
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ReplicaSnapshotFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReplicaSnapshotFeed>());
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new DecisionBenchmark(host);
    }

    /// <summary>Gives each user a last write at <paramref name="position"/> (their grain activates and saves it).</summary>
    public async Task PrepareUsersAsync(IReadOnlyList<long> users, WalPosition position, CancellationToken cancellationToken) =>
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (user, _) =>
            await UserGrain(user).RecordWriteAsync(new WriteRecord(position, DateTimeOffset.UtcNow), null, LeaseReport.None));

    /// <summary>Own-read decisions in a closed loop; a decision that did not pick a caught-up replica counts as failed.</summary>
    public Task<LoadResult> MeasureAsync(string name, int repetition, IReadOnlyList<long> users, int concurrency, TimeSpan warmUp, TimeSpan duration, CancellationToken cancellationToken) =>
        LoadLoop.RunAsync(name, repetition, concurrency, warmUp, duration, (worker, i) => DecideOwnReadAsync(users[(int)((worker * 7919 + i) % users.Count)]), cancellationToken);

    /// <summary>
    /// One own read of <paramref name="user"/> decided from a fresh lease: true when this process holds the user alone and
    /// the read goes to a replica that has replayed their last write.
    /// </summary>
    public async Task<bool> DecideOwnReadAsync(long user)
    {
        var lease = await UserGrain(user).LeaseAsync(_holderReference, LeaseReport.None);
        if (_snapshots.Fresh is not { } snapshot)
        {
            return false;
        }

        var now = DateTimeOffset.UtcNow;
        var reader = new ReaderState(Local(lease.LastWrite, now), Local(lease.SeenOwn, now), Local(lease.SeenOthers, now));
        var decision = _policy.Decide(new ReadRequest(UserKey(user), UserKey(user)), reader, snapshot, now);
        return !lease.Shared && decision.Reason == RoutingReasons.OwnWriteReplicaCaughtUp;
    }

    /// <summary>The library's id of the benchmark's user <paramref name="user"/>: its invariant text, as the API's tokens spell it.</summary>
    public static string UserKey(long user) => user.ToString(CultureInfo.InvariantCulture);

    /// <summary>The grain of the benchmark's user <paramref name="user"/>.</summary>
    internal IUserConsistencyGrain UserGrain(long user) => Client.GetGrain<IUserConsistencyGrain>(UserKey(user));

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    // A leased position's time on this process's clock: leases carry ages, never another machine's time.
    private static Known Local(AgedPosition position, DateTimeOffset now) =>
        position.Age is { } age ? new Known(position.Position, now - age) : new Known(position.Position, DateTimeOffset.MinValue);
}
