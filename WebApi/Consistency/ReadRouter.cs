using Microsoft.Extensions.Options;
using OrleansRaw.WebApi.Observability;

namespace OrleansRaw.WebApi.Consistency;

/// <summary>Asks the grains where a read runs; when they cannot answer in time, the primary (always safe) is the answer.</summary>
public sealed partial class ReadRouter(
    IGrainFactory grains,
    IOptions<ConsistencyApiOptions> options,
    ApiInstruments instruments,
    TimeProvider clock,
    ILogger<ReadRouter> logger)
{
    public async Task<RoutingDecision> DecideAsync(ReadRequest request, CancellationToken cancellationToken)
    {
        var started = clock.GetTimestamp();
        var decision = await AskAsync(request, cancellationToken);
        instruments.DecisionTaken(decision, request.IsOwnRead, clock.GetElapsedTime(started));
        if (decision.Reason == RoutingReasons.FallbackTimeout)
        {
            // Expected under lag and counted by the metrics: a line per read only at Debug.
            LogFallbackTimeout(logger, request.ReaderId, decision.Waited.TotalMilliseconds);
        }

        return decision;
    }

    private async Task<RoutingDecision> AskAsync(ReadRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var decision = request.IsOwnRead
                ? grains.GetGrain<IUserConsistencyGrain>(request.ReaderId!.Value).RouteReadAsync(request)
                : grains.GetGrain<IReadRouterGrain>(SingletonKeys.Cluster).RouteReadAsync(request);
            return await decision.WaitAsync(options.Value.DecisionTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogDecisionUnavailable(logger, request.ReaderId, ex.GetType().Name, ex.Message);
            return RoutingDecision.Primary(RoutingReasons.DecisionUnavailable);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Routing decision unavailable for user {UserId}, reading the primary: {ErrorType} {Error}")]
    private static partial void LogDecisionUnavailable(ILogger logger, long? userId, string errorType, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No replica replayed the last write of user {UserId} within {WaitedMs:F0} ms; reading the primary")]
    private static partial void LogFallbackTimeout(ILogger logger, long? userId, double waitedMs);
}
