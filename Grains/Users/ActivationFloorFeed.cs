using Microsoft.Extensions.Hosting;
using OrleansRaw.Routing;

namespace OrleansRaw.Grains.Users;

/// <summary>Feeds <see cref="ActivationFloor"/> on a silo: the primary's position from each replica snapshot, and every silo that leaves the membership.</summary>
internal sealed class ActivationFloorFeed(ActivationFloor floor, ReplicaSnapshotFeed snapshots, IClusterMembershipService membership, TimeProvider clock)
    : BackgroundService
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(250);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(SampleAsync(stoppingToken), WatchMembershipAsync(stoppingToken));

    private async Task SampleAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SampleEvery, clock);
        long version = -1;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var snapshot = snapshots.Current;
                if (snapshot.Version != version && snapshot.Timeline != 0)
                {
                    version = snapshot.Version;
                    floor.Sampled(new WalPosition(snapshot.Timeline, snapshot.PrimaryLsn), clock.GetTimestamp());
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task WatchMembershipAsync(CancellationToken stoppingToken)
    {
        var active = new HashSet<SiloAddress>();
        try
        {
            await foreach (var update in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                var now = new HashSet<SiloAddress>(update.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress));
                if (active.Any(silo => !now.Contains(silo)))
                {
                    floor.SiloLeft(clock.GetTimestamp());
                }

                active = now;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
