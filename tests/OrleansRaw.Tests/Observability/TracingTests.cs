using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Diagnostics;
using OrleansRaw.ReadYourWrites;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;
using A = OrleansRaw.ReadYourWrites.RoutingSpan.Attributes;

namespace OrleansRaw.Tests.Observability;

/// <summary>
/// A read's trace, as an OTLP collector would receive it (here an in-memory exporter on the app's own tracer provider):
/// the HTTP request, the routing decision as a span of its own, the grain call that fetched the reader's state on both
/// sides, and the database commands, in one trace; and a read that fell back to the primary says so.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class TracingTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const string NpgsqlSource = "Npgsql";
    private const string QueryText = "db.query.text";

    [Fact]
    public async Task SignedInRead_ShowsTheRoutingDecision_TheLeaseCallOnBothSides_AndTheCommands_InTheRequestsTrace()
    {
        await fixture.Db.SetLagAsync(TimeSpan.Zero);
        await using var traced = new TracedApi(fixture.Default);
        var userId = TestUsers.NewId();
        // The write on another API server: the traced one holds no state for the user, so the read asks the grain.
        using var writer = await fixture.Default.CreateClient().SignInAsync(userId);
        var before = await fixture.Db.CurrentPositionAsync();
        var (post, _) = await writer.CreatePostAsync("traced read");

        using var reader = await traced.CreateClient().SignInAsync(userId);
        var read = await reader.GetPostsAsync();
        Assert.Contains(read.Body, p => p.Id == post.Id);

        var request = Assert.Single(await traced.RequestSpansAsync("GET", "/api/posts", 1));
        var trace = traced.Trace(request.TraceId);
        Describe(trace);

        var routing = Assert.Single(trace, s => s.Source.Name == RoutingSpan.ActivitySourceName);
        Assert.Equal(RoutingSpan.Name, routing.OperationName);
        Assert.Equal(request.SpanId, routing.ParentSpanId);
        Assert.Equal(read.Reason, routing.GetTagItem(A.Reason));
        Assert.Equal(read.Source, routing.GetTagItem(A.Source));
        Assert.Equal("Lsn", routing.GetTagItem(A.Mode));
        Assert.True(Lsn.Parse((string)routing.GetTagItem(A.RequiredLsn)!) > before.Lsn, "the required position is not the user's write");
        Assert.IsType<double>(routing.GetTagItem(A.WaitedMs));
        Assert.IsType<double>(routing.GetTagItem(A.MaxWaitMs));
        Assert.Null(routing.GetTagItem(A.Fallback));

        // The lease call, from the decision; the silo's side of it continues the same trace.
        var leaseCall = Assert.Single(trace, s => IsGrainCall(s) && s.Kind == ActivityKind.Client && s.ParentSpanId == routing.SpanId
            && $"{s.GetTagItem("rpc.method")}".EndsWith($"{nameof(IUserConsistencyGrain)}/{nameof(IUserConsistencyGrain.LeaseAsync)}", StringComparison.Ordinal));
        Assert.Contains(trace, s => IsGrainCall(s) && s.Kind == ActivityKind.Server && s.ParentSpanId == leaseCall.SpanId);

        // The read's batch, under the routing span: on a replica it starts with the position check.
        var commands = Commands(trace, routing);
        Assert.NotEmpty(commands);
        if (read.Source != ReadSources.Primary)
        {
            Assert.Contains(commands, IsReplayCheck);
        }
    }

    [Fact]
    public async Task GuardFallback_ShowsInTheTrace_AsTheReplicaTriedThenThePrimary()
    {
        // As in FastPathSafetyTests: both replicas lag 2 s, but the server holds a proof that replica-1 replayed far past
        // the write, so the decision trusts replica-1; its check fails and the primary answers.
        await using var traced = new TracedApi(fixture.Default);
        using var client = await traced.CreateClient().SignInAsync(TestUsers.NewId());
        await fixture.Db.SetLagAsync(TimeSpan.FromSeconds(2));
        var reads = new List<string>();
        try
        {
            for (var i = 1; i <= 5; i++)
            {
                var (post, _) = await client.CreatePostAsync($"fallback {i}");
                var now = await fixture.Db.CurrentPositionAsync();
                traced.Api.Services.GetRequiredService<ReplayProofs>().Note("replica-1", now with { Lsn = new Lsn(now.Lsn.Value + 1_000_000) });

                var read = await client.GetPostsAsync();
                Assert.Contains(read.Body, p => p.Id == post.Id);
                var request = (await traced.RequestSpansAsync("GET", "/api/posts", i))[^1];
                reads.Add($"{read.Source}/{read.Reason}");
                if (read.Reason != RoutingReasons.GuardFallback)
                {
                    continue;
                }

                var trace = traced.Trace(request.TraceId);
                Describe(trace);
                var routing = Assert.Single(trace, s => s.Source.Name == RoutingSpan.ActivitySourceName);
                Assert.Equal(RoutingReasons.OwnWriteReplicaCaughtUp, routing.GetTagItem(A.Reason)); // why the replica was tried
                Assert.Equal(RoutingReasons.GuardFallback, routing.GetTagItem(A.Fallback));
                Assert.Equal(ReadSources.Primary, routing.GetTagItem(A.Source)); // where the read ran in the end
                var fallback = Assert.Single(routing.Events, e => e.Name == A.Fallback);
                Assert.Contains(fallback.Tags, t => t.Key == A.Reason && Equals(t.Value, RoutingReasons.GuardFallback));
                Assert.Contains(fallback.Tags, t => t.Key == A.Source && Equals(t.Value, ReadSources.Replica("replica-1")));

                // The check on the replica, the fallback, then the read on the primary, all under the routing span.
                var commands = Commands(trace, routing);
                var check = Assert.Single(commands, IsReplayCheck);
                var primary = commands[^1];
                Assert.NotSame(check, primary);
                Assert.InRange(fallback.Timestamp.UtcDateTime, check.StartTimeUtc + check.Duration, primary.StartTimeUtc);
                output.WriteLine($"reads: {string.Join(", ", reads)}");
                return;
            }
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }

        Assert.Fail($"no read fell back from the check: {string.Join(", ", reads)}");
    }

    // Orleans puts a call on its runtime source when the interface's namespace starts with "Orleans", as OrleansRaw's does.
    private static bool IsGrainCall(Activity span) =>
        span.Source.Name is ActivitySources.ApplicationGrainActivitySourceName or ActivitySources.RuntimeActivitySourceName;

    // Npgsql's command spans under the routing span (its connection opens are spans of their own, without a query).
    private static List<Activity> Commands(IReadOnlyList<Activity> trace, Activity routing) =>
        [.. trace.Where(s => s.Source.Name == NpgsqlSource && s.ParentSpanId == routing.SpanId && s.GetTagItem(QueryText) is string).OrderBy(s => s.StartTimeUtc)];

    // A batch's span shows its first statement: on a replica, the check of the replay position (waiting or not).
    private static bool IsReplayCheck(Activity command) =>
        command.GetTagItem(QueryText) is string text
        && (text.Contains("pg_last_wal_replay_lsn() >=", StringComparison.Ordinal) || text.Contains("orleansraw_wait_replay(", StringComparison.Ordinal));

    private void Describe(IReadOnlyList<Activity> trace)
    {
        foreach (var span in trace.OrderBy(s => s.StartTimeUtc))
        {
            var tags = string.Join(" ", span.TagObjects.Where(t => t.Key is not "db.npgsql.data_source")
                .Select(t => $"{t.Key}={t.Value}"));
            output.WriteLine($"{span.StartTimeUtc:HH:mm:ss.fff} {span.Source.Name} {span.Kind} {span.DisplayName} [{span.SpanId} <- {span.ParentSpanId}] {span.Duration.TotalMilliseconds:F1} ms {tags}");
        }
    }
}
