using Microsoft.AspNetCore.Http.HttpResults;
using OrleansRaw.WebApi.Observability;

namespace OrleansRaw.WebApi.Features;

/// <summary>Where this API's reads ran over the alert window: the figure behind the primary-read-share alert.</summary>
public static class ReadStatsApi
{
    public static IEndpointRouteBuilder MapReadStatsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/api/reads").WithTags("Reads").MapGet("/share", GetShare);
        return routes;
    }

    public sealed record ReadShareView(
        double WindowSeconds, long PrimaryReads, long ReplicaReads, double PrimaryShare, double MaxPrimaryShare, bool Alert);

    private static Ok<ReadShareView> GetShare(ReplicaAlerts alerts)
    {
        var state = alerts.Current;
        var reads = state.Reads;
        return TypedResults.Ok(new ReadShareView(reads.Window.TotalSeconds, reads.PrimaryReads, reads.ReplicaReads,
            Math.Round(reads.PrimaryShare, 4), alerts.Options.MaxPrimaryReadShare, state.PrimaryShareHigh));
    }
}
