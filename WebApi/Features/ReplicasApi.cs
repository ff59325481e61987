using Microsoft.AspNetCore.Http.HttpResults;
using OrleansRaw.WebApi.Contract;

namespace OrleansRaw.WebApi.Features;

/// <summary>The replica monitor's latest snapshot: primary position and each replica's health, position and lag.</summary>
public static class ReplicasApi
{
    public static IEndpointRouteBuilder MapReplicasApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/api/replicas").WithTags("Replicas").MapGet("/", GetReplicas)
            .WithName("GetReplicas").WithSummary("Get each replica's health, replay position and lag")
            .DocumentsProblem(StatusCodes.Status503ServiceUnavailable, "The replica monitor did not answer within 5 s.");
        return routes;
    }

    public sealed record ReplicaView(string Name, bool Healthy, string ReplayLsn, double LagMs, long LagBytes, DateTimeOffset SampledAt, string? Error, uint Timeline);

    public sealed record ReplicasView(string PrimaryLsn, DateTimeOffset SampledAt, double P99LagMs, List<ReplicaView> Replicas, uint Timeline);

    private static async Task<Results<Ok<ReplicasView>, ProblemHttpResult>> GetReplicas(ReplicaMonitor monitor, HttpContext http)
    {
        try
        {
            var snapshot = await monitor.GetSnapshotAsync().WaitAsync(TimeSpan.FromSeconds(5));
            var signedIn = Auth.CurrentUser.Id(http.User) is not null;
            return TypedResults.Ok(new ReplicasView(snapshot.PrimaryLsn.ToString(), snapshot.SampledAt, snapshot.P99LagMs,
                [.. snapshot.Replicas.Select(r => new ReplicaView(r.Name, r.Healthy, r.ReplayLsn.ToString(), r.LagMs, r.LagBytes, r.SampledAt,
                    signedIn ? r.Error : PublicError(r.Error), r.Timeline))], snapshot.Timeline));
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or InvalidOperationException)
        {
            return TypedResults.Problem("The replica monitor did not answer.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    // What an anonymous caller may learn of a replica's trouble: the monitor's own words, never a driver's message
    // (those name hosts and ports).
    internal static string? PublicError(string? error) =>
        error is null ? null
        : error.StartsWith(ReplicaErrors.NotInRecovery, StringComparison.Ordinal) || error.StartsWith(ReplicaErrors.LagPrefix, StringComparison.Ordinal)
            || error.StartsWith(ReplicaErrors.TimelinePrefix, StringComparison.Ordinal) ? error
        : "the monitor could not probe it";
}
