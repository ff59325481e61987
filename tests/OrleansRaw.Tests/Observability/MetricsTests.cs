using System.Net;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Observability;

/// <summary>
/// <c>GET /metrics</c> against a known workload: the counters move by exactly what the workload did, as the
/// responses' own headers report it, and the gauges and library meters are there.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class MetricsTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const string Reads = "orleansraw_reads_total";
    private const string Writes = "orleansraw_writes_total";
    private const string DecisionCount = "orleansraw_routing_decision_duration_seconds_count";
    private const string ReplicaWaitCount = "orleansraw_routing_replica_wait_duration_seconds_count";

    [Fact]
    public async Task Metrics_AfterOwnAndCriticalReads_CountExactlyThoseReadsBySourceAndReason()
    {
        const int ownReads = 12;
        const int criticalReads = 5;
        await fixture.Db.SetLagAsync(TimeSpan.Zero);
        using var client = await fixture.Default.CreateClient().SignInAsync(Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000));
        var before = await ScrapeAsync();

        // Another API server in the same process (as in these tests) reads too, then stops: none of it may show here.
        await using (var other = new Deployment.ApiFactory(fixture.Default.Cluster.Client, fixture.Default.Settings))
        {
            using var otherClient = await ApiClient.For(other).SignInAsync(Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000));
            for (var i = 0; i < 3; i++)
            {
                await otherClient.GetPostsAsync(strong: StrongRead.Query);
            }
        }

        await client.CreatePostAsync("counted " + Guid.NewGuid().ToString("N"));
        await fixture.Db.WaitForReplicasToCatchUpAsync();
        await Task.Delay(200); // a few monitor polls, so its snapshot shows the replicas caught up
        var observed = new List<Read<List<ApiClient.Post>>>();
        for (var i = 0; i < ownReads; i++)
        {
            observed.Add(await client.GetPostsAsync());
        }

        for (var i = 0; i < criticalReads; i++)
        {
            observed.Add(await client.GetPostsAsync(strong: StrongRead.Query));
        }

        var after = await ScrapeAsync();
        foreach (var group in observed.GroupBy(r => (r.Source, r.Reason)))
        {
            output.WriteLine($"{group.Key.Source} / {group.Key.Reason}: {group.Count()} reads");
            Assert.Equal(group.Count(), Delta(before, after, Reads, ("source", group.Key.Source), ("reason", group.Key.Reason)));
        }

        Assert.Equal(ownReads + criticalReads, Delta(before, after, Reads));
        Assert.Equal(criticalReads, Delta(before, after, Reads, ("source", "primary"), ("reason", "critical")));
        // With no lag the replicas have the write: own reads run there, none on the primary.
        Assert.Equal(ownReads, observed.Take(ownReads).Count(r => !r.FromPrimary));
        Assert.Equal(ownReads, Delta(before, after, Reads, ("reason", "own-write-replica-caught-up")));
        Assert.Equal(1, Delta(before, after, Writes, ("outcome", "recorded")));
        // A critical read needs no decision: the primary is its answer whatever the grains know.
        Assert.Equal(ownReads, Delta(before, after, DecisionCount, ("kind", "own")));
        // Only a read sent to a replica before the snapshot showed the write waits there (at most the first ones).
        Assert.InRange(Delta(before, after, ReplicaWaitCount), 0, ownReads);
        Assert.Equal(0, Delta(before, after, "orleansraw_read_fallbacks_total"));

        // Gauges fed by the API's copy of the monitor snapshot, and the libraries' own meters.
        foreach (var replica in new[] { "replica-1", "replica-2" })
        {
            Assert.Single(after.Matching("orleansraw_replica_lag_time_milliseconds", ("replica", replica)));
            Assert.Single(after.Matching("orleansraw_replica_lag_wal_bytes", ("replica", replica)));
            Assert.Equal(1, after.Sum("orleansraw_replica_healthy", ("replica", replica)));
        }

        Assert.Contains(after.Samples, s => s.Name.StartsWith("orleans_", StringComparison.Ordinal));
        Assert.Contains(after.Samples, s => s.Name.StartsWith("db_client_", StringComparison.Ordinal));
        Assert.Contains(after.Samples, s => s.Name.StartsWith("http_server_request_duration", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_CountEveryRateLimitedWrite()
    {
        var settings = new Dictionary<string, string?>(fixture.Default.Settings)
        {
            ["RateLimiting:WritesPerSecond"] = "1",
            ["RateLimiting:WriteBurst"] = "1",
        };
        await using var api = new Deployment.ApiFactory(fixture.Default.Cluster.Client, settings);
        using var client = await ApiClient.For(api).SignInAsync(Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000));
        var refused = 0;
        for (var i = 0; i < 5; i++)
        {
            var answer = await ApiClient.AnswerAsync(client.CreatePostAsync("burst " + i));
            refused += answer.Status == HttpStatusCode.TooManyRequests ? 1 : 0;
        }

        using var http = api.CreateClient();
        var metrics = PrometheusText.Parse(await http.GetStringAsync("/metrics"));
        output.WriteLine($"{refused} of 5 writes refused");
        Assert.InRange(refused, 3, 4);
        // The app's own limiter is counted by ASP.NET Core; the layer counts only the refusals it makes itself.
        Assert.Equal(refused, metrics.Sum("aspnetcore_rate_limiting_requests_total",
            ("aspnetcore_rate_limiting_policy", "writes"), ("aspnetcore_rate_limiting_result", "endpoint_limiter")));
        Assert.Equal(5 - refused, metrics.Sum(Writes, ("outcome", "recorded")));
    }

    [Fact]
    public async Task Metrics_CountReaderLeases_GrantedWrittenInCopyAndShared()
    {
        const string Leases = "orleansraw_reader_leases_total";
        var userId = TestUsers.NewId();
        using var client = await fixture.Default.CreateClient().SignInAsync(userId);
        // The second server starts first: the first server's lease (1 s) must still run when the second asks, and
        // starting a server on a busy machine can take longer than that.
        await using var other = new Deployment.ApiFactory(fixture.Default.Cluster.Client, fixture.Default.Settings);
        using var otherClient = ApiClient.For(other);
        otherClient.SignInAs(client);
        var before = await ScrapeAsync();

        await client.GetPostsAsync(); // a lease for the user's state
        await client.CreatePostAsync("in the copy " + Guid.NewGuid().ToString("N")); // recorded in it: no grain call
        await otherClient.GetPostsAsync(); // a second server: this one must share

        var after = await ScrapeAsync();
        Assert.Equal(1, Delta(before, after, Leases, ("event", "granted")));
        Assert.Equal(1, Delta(before, after, Leases, ("event", "write-in-copy")));
        Assert.Equal(1, Delta(before, after, Leases, ("event", "shared")));
    }

    private static double Delta(PrometheusText before, PrometheusText after, string name, params (string, string)[] labels) =>
        after.Sum(name, labels) - before.Sum(name, labels);

    private async Task<PrometheusText> ScrapeAsync()
    {
        using var http = fixture.Default.Api.CreateClient();
        using var response = await http.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }
}
