using Microsoft.Extensions.Options;

namespace OrleansRaw.WebApi.Consistency;

/// <summary>Asks the grains where a read runs; when they cannot answer in time, the primary (always safe) is the answer.</summary>
public sealed partial class ReadRouter(IGrainFactory grains, IOptions<ConsistencyApiOptions> options, ILogger<ReadRouter> logger)
{
    public async Task<RoutingDecision> DecideAsync(ReadRequest request, CancellationToken cancellationToken)
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
}
