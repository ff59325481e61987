using Dapper;
using Npgsql;
using OrleansRaw.Tests.Cluster;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Faults;

/// <summary>
/// Failures of a replicated deployment, injected into a running system (real silo processes, real PostgreSQL and
/// Redis of their own) while users write and read their own data: no stale own read, no acknowledged write lost, and no
/// error but a 503 that says when to retry.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class FaultInjectionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan FaultAt = TimeSpan.FromSeconds(1.5);

    public static TheoryData<string> Faults => ["lag-spike", "replica-stop", "silo-kill", "redis-restart", "primary-failover"];

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task OwnReads_StayFresh_AndWritesSurvive_Through(string fault)
    {
        var services = new ServiceSet(27532, 27533, 27534, 27579, Path.Combine(RepoPaths.Root, ".data", "faults-27532"));
        await services.RunAsync("reset");
        await services.RunAsync("up");
        try
        {
            await using var cluster = await MultiProcessCluster.StartAsync(silos: 2, services);
            await services.RunAsync("lag", "replica-1", "100");
            await services.RunAsync("lag", "replica-2", "100");
            var workload = new FaultWorkload();
            using var stop = new CancellationTokenSource();
            var running = workload.RunAsync(cluster.CreateClient, users: 8, stop.Token);

            await Task.Delay(FaultAt);
            var injected = workload.Elapsed;
            var duration = await InjectAsync(fault, services, cluster);
            await Task.Delay(duration);
            stop.Cancel();
            await running;

            var lost = await LostWritesAsync(services, workload.Acknowledged);
            var recovered = workload.LastErrorAt is { } last && last > injected ? last - injected : TimeSpan.Zero;
            output.WriteLine($"{fault}: {workload.Pairs} write→own-read pairs, {workload.Stale} stale, {workload.Acknowledged.Count} acknowledged writes, "
                + $"{lost} lost; errors: {(workload.Errors.Count == 0 ? "none" : string.Join(", ", workload.Errors.Select(e => $"{e.Key}×{e.Value}")))}; "
                + $"recovered {recovered.TotalSeconds:F1} s after the fault");

            Assert.Equal(0, workload.Stale);
            Assert.Equal(0, lost);
            Assert.All(workload.Errors.Keys, key => Assert.EndsWith(" 503", key));
            Assert.Equal(0, workload.ErrorsWithoutRetryAfter);
            Assert.True(workload.Pairs > 0);
        }
        finally
        {
            await services.RunAsync("reset");
        }
    }

    /// <summary>Injects the fault (and its repair); returns how long to keep the workload running afterwards.</summary>
    private static async Task<TimeSpan> InjectAsync(string fault, ServiceSet services, MultiProcessCluster cluster)
    {
        switch (fault)
        {
            case "lag-spike":
                await services.RunAsync("lag", "replica-1", "3000");
                await Task.Delay(TimeSpan.FromSeconds(4));
                await services.RunAsync("lag", "replica-1", "0");
                return TimeSpan.FromSeconds(4);
            case "replica-stop":
                await services.RunAsync("stop", "replica-1");
                await Task.Delay(TimeSpan.FromSeconds(3));
                await services.RunAsync("start", "replica-1");
                return TimeSpan.FromSeconds(4);
            case "silo-kill":
                cluster.Silos[0].Kill();
                await cluster.AddSiloAsync();
                return TimeSpan.FromSeconds(6);
            case "redis-restart":
                await services.RunAsync("stop", "redis");
                await Task.Delay(TimeSpan.FromSeconds(2));
                await services.RunAsync("start", "redis");
                return TimeSpan.FromSeconds(8);
            case "primary-failover":
                await services.RunAsync("failover");
                return TimeSpan.FromSeconds(8);
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }
    }

    private static async Task<int> LostWritesAsync(ServiceSet services, IReadOnlyCollection<long> acknowledged)
    {
        await using var primary = NpgsqlDataSource.Create(services.PrimaryAnyNode);
        await using var connection = await primary.OpenConnectionAsync();
        var ids = acknowledged.ToArray();
        var found = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM posts WHERE id = ANY(@ids)", new { ids });
        return ids.Length - (int)found;
    }
}
