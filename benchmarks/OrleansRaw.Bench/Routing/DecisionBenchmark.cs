using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace OrleansRaw.Bench.Routing;

/// <summary>
/// The routing decision on its own: this process joins the running cluster as an Orleans client, exactly as the API
/// does (Redis clustering, a silo gateway), and calls <see cref="IUserConsistencyGrain.RouteReadAsync"/> for users
/// whose last write every replica has replayed, so the decision is made at once and no wait is timed.
/// </summary>
public sealed class DecisionBenchmark : IAsyncDisposable
{
    private readonly IHost _host;

    private DecisionBenchmark(IHost host) => _host = host;

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
        LoadLoop.RunAsync(name, repetition, concurrency, warmUp, duration, async (worker, i) =>
        {
            var user = users[(int)((worker * 7919 + i) % users.Count)];
            var decision = await UserGrain(user).RouteReadAsync(new ReadRequest(UserKey(user), UserKey(user)));
            return decision.Reason == RoutingReasons.OwnWriteReplicaCaughtUp;
        }, cancellationToken);

    /// <summary>The library's id of the benchmark's user <paramref name="user"/>: its invariant text, as the API's tokens spell it.</summary>
    public static string UserKey(long user) => user.ToString(CultureInfo.InvariantCulture);

    /// <summary>The grain of the benchmark's user <paramref name="user"/>.</summary>
    public IUserConsistencyGrain UserGrain(long user) => Client.GetGrain<IUserConsistencyGrain>(UserKey(user));

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
