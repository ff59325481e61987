using System.Diagnostics;
using Dapper;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Grains;

/// <summary>
/// The user grain's side of reader leases, with stand-in API servers: a write is acknowledged only once no other
/// server can still route from a state without it, whether that server answers or not.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ReaderLeaseTests(SystemFixture fixture)
{
    private IGrainFactory Grains => fixture.Default.Grains;

    [Fact]
    public async Task AWrite_WaitsOutTheLeaseOfAServerThatDoesNotAnswer_BeforeItIsAcknowledged()
    {
        var grain = Grains.GetGrain<IUserConsistencyGrain>(TestUsers.NewKey());
        var silent = new StandInServer(answers: false);
        var lease = await grain.LeaseAsync(Reference(silent), LeaseReport.None);
        var granted = Stopwatch.StartNew();

        await grain.RecordWriteAsync(new WriteRecord(await WriteSomethingAsync(), DateTimeOffset.UtcNow), null, LeaseReport.None);

        Assert.Equal(1, silent.Revocations);
        Assert.True(granted.Elapsed >= lease.Duration - TimeSpan.FromMilliseconds(50),
            $"the write was acknowledged {granted.Elapsed.TotalMilliseconds:F0} ms after a {lease.Duration.TotalMilliseconds:F0} ms lease was granted to a server that never answered");
    }

    [Fact]
    public async Task AWrite_RevokesAServerThatAnswers_AtOnce_AndLearnsWhatItServed()
    {
        var grain = Grains.GetGrain<IUserConsistencyGrain>(TestUsers.NewKey());
        var served = await WriteSomethingAsync();
        var server = new StandInServer(answers: true) { Served = new LeaseReport(WalPosition.Zero, served with { Lsn = new Lsn(served.Lsn.Value + 1_000) }) };
        await grain.LeaseAsync(Reference(server), LeaseReport.None);
        var started = Stopwatch.StartNew();

        await grain.RecordWriteAsync(new WriteRecord(await WriteSomethingAsync(), DateTimeOffset.UtcNow), null, LeaseReport.None);

        Assert.Equal(1, server.Revocations);
        Assert.True(started.Elapsed < TimeSpan.FromMilliseconds(500), $"revoking an answering server took {started.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(server.Served.Others, (await grain.LeaseAsync(Reference(new StandInServer(answers: true)), LeaseReport.None)).SeenOthers.Position);
    }

    [Fact]
    public async Task TheWritingServer_KeepsItsLease_WithTheWriteInIt()
    {
        var grain = Grains.GetGrain<IUserConsistencyGrain>(TestUsers.NewKey());
        var writer = new StandInServer(answers: true);
        var holder = Reference(writer);
        var before = await grain.LeaseAsync(holder, LeaseReport.None);
        var write = await WriteSomethingAsync();

        var after = await grain.RecordWriteAsync(new WriteRecord(write, DateTimeOffset.UtcNow), holder, LeaseReport.None);

        Assert.Equal(0, writer.Revocations);
        Assert.NotNull(after);
        Assert.Equal(after.LastWrite.Position, WalPosition.Latest(after.LastWrite.Position, write));
        Assert.Equal(before.Version + 1, after.Version);
        Assert.Equal(before.Epoch, after.Epoch);
    }

    [Fact]
    public async Task ASecondServer_GetsWhatTheFirstServed_AndBothReportEveryReadFromThen()
    {
        var grain = Grains.GetGrain<IUserConsistencyGrain>(TestUsers.NewKey());
        var served = await WriteSomethingAsync();
        var first = new StandInServer(answers: true) { Served = new LeaseReport(WalPosition.Zero, served with { Lsn = new Lsn(served.Lsn.Value + 5_000) }) };
        var firstLease = await grain.LeaseAsync(Reference(first), LeaseReport.None);

        var secondLease = await grain.LeaseAsync(Reference(new StandInServer(answers: true)), LeaseReport.None);

        Assert.False(firstLease.Shared);
        Assert.Equal(1, first.Shares);
        Assert.True(secondLease.Shared);
        Assert.True(secondLease.SeenOthers.Position == first.Served.Others, "the second server's lease misses what the first served");
    }

    [Fact]
    public async Task ASecondServer_GetsTheWritesTheFirstRecordedInItsCopy()
    {
        var grain = Grains.GetGrain<IUserConsistencyGrain>(TestUsers.NewKey());
        var first = new StandInServer(answers: true);
        await grain.LeaseAsync(Reference(first), LeaseReport.None);
        var wrote = await WriteSomethingAsync(); // acknowledged by the first server under its exclusive lease, not sent here

        first.Served = new LeaseReport(WalPosition.Zero, WalPosition.Zero, wrote);
        var second = await grain.LeaseAsync(Reference(new StandInServer(answers: true)), LeaseReport.None);

        Assert.Equal(wrote, second.LastWrite.Position);
    }

    [Fact]
    public async Task ALeaseThatRanOutUnreported_CountsAsWritesUpToThePrimary_ForTheNextServer()
    {
        // A server that recorded writes in its copy and then went silent: its lease runs out, and the next server's
        // lease must cover every write it may have acknowledged, though none was reported.
        var grain = Grains.GetGrain<IUserConsistencyGrain>(TestUsers.NewKey());
        var lease = await grain.LeaseAsync(Reference(new StandInServer(answers: false)), LeaseReport.None);
        var wrote = await WriteSomethingAsync();
        await Task.Delay(lease.Duration + TimeSpan.FromMilliseconds(50));

        var next = await grain.LeaseAsync(Reference(new StandInServer(answers: true)), LeaseReport.None);

        Assert.Equal(next.LastWrite.Position, WalPosition.Latest(next.LastWrite.Position, wrote));
        Assert.NotEqual(WalPosition.Zero, next.LastWrite.Position);
    }

    [Fact]
    public async Task ASilentHolder_WhenASecondServerArrives_IsWaitedOut_AndItsWritesAssumed()
    {
        var grain = Grains.GetGrain<IUserConsistencyGrain>(TestUsers.NewKey());
        var lease = await grain.LeaseAsync(Reference(new StandInServer(answers: false)), LeaseReport.None);
        var granted = Stopwatch.StartNew();
        var wrote = await WriteSomethingAsync();

        var second = await grain.LeaseAsync(Reference(new StandInServer(answers: true)), LeaseReport.None);

        Assert.True(granted.Elapsed >= lease.Duration - TimeSpan.FromMilliseconds(50), $"the second lease came {granted.Elapsed.TotalMilliseconds:F0} ms after the first");
        Assert.Equal(second.LastWrite.Position, WalPosition.Latest(second.LastWrite.Position, wrote));
    }

    [Fact]
    public async Task AWriteThroughTheMiddleOfThreeServers_RevokesTheOtherTwo_AndKeepsItsLeaseAlone()
    {
        var grain = Grains.GetGrain<IUserConsistencyGrain>(TestUsers.NewKey());
        var (first, middle, last) = (new StandInServer(answers: true), new StandInServer(answers: true), new StandInServer(answers: true));
        var (firstHolder, middleHolder, lastHolder) = (Reference(first), Reference(middle), Reference(last));
        await grain.LeaseAsync(firstHolder, LeaseReport.None);
        await grain.LeaseAsync(middleHolder, LeaseReport.None);
        await grain.LeaseAsync(lastHolder, LeaseReport.None);

        var lease = await grain.RecordWriteAsync(new WriteRecord(await WriteSomethingAsync(), DateTimeOffset.UtcNow), middleHolder, LeaseReport.None);

        Assert.Equal((1, 0, 1), (first.Revocations, middle.Revocations, last.Revocations));
        Assert.NotNull(lease);
        Assert.False(lease.Shared, "the writer is the only holder left, yet its lease is shared");

        // The first server comes back: the writer, the one holder, is asked to share; nobody is revoked again.
        var shares = middle.Shares;
        var again = await grain.LeaseAsync(firstHolder, LeaseReport.None);
        Assert.True(again.Shared);
        Assert.Equal(shares + 1, middle.Shares);
        Assert.Equal((1, 0, 1), (first.Revocations, middle.Revocations, last.Revocations));
    }

    [Fact]
    public async Task ADeactivatingGrain_RevokesEveryLease()
    {
        var grain = Grains.GetGrain<IUserConsistencyGrain>(TestUsers.NewKey());
        var server = new StandInServer(answers: true);
        await grain.LeaseAsync(Reference(server), LeaseReport.None);

        await fixture.Default.Cluster.DeactivateAsync(grain);
        await fixture.Default.Cluster.WaitForDeactivationAsync(grain);

        Assert.Equal(1, server.Revocations);
    }

    private IReaderLeaseHolder Reference(StandInServer server) => Grains.CreateObjectReference<IReaderLeaseHolder>(server);

    private async Task<WalPosition> WriteSomethingAsync()
    {
        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        await connection.ExecuteAsync("INSERT INTO posts (user_id, content) VALUES (0, 'lease test')");
        return await fixture.Db.CurrentPositionAsync();
    }

    private sealed class StandInServer(bool answers) : IReaderLeaseHolder
    {
        private int _revocations;
        private int _shares;

        public LeaseReport Served { get; set; } = LeaseReport.None;

        public int Revocations => Volatile.Read(ref _revocations);

        public int Shares => Volatile.Read(ref _shares);

        public Task<LeaseReport> RevokeAsync(string userId, ActivationId epoch, long version)
        {
            Interlocked.Increment(ref _revocations);
            return answers ? Task.FromResult(Served) : new TaskCompletionSource<LeaseReport>().Task;
        }

        public Task<LeaseReport> ShareAsync(string userId)
        {
            Interlocked.Increment(ref _shares);
            return answers ? Task.FromResult(Served) : new TaskCompletionSource<LeaseReport>().Task;
        }

        public Task NoteSeenAsync(string userId, LeaseReport seen) => Task.CompletedTask;
    }
}
