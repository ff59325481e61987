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
        if (options.Value.Direct)
        {
            return RoutingDecision.Primary(RoutingReasons.Direct);
        }

        // A critical read goes to the primary whatever the grains know: no need to ask them.
        if (request.Critical)
        {
            return RoutingDecision.Primary(RoutingReasons.Critical);
        }

        var started = clock.GetTimestamp();
        var decision = await AskAsync(request, cancellationToken);
        instruments.DecisionTaken(decision, request.IsOwnRead, clock.GetElapsedTime(started));
        return decision;
    }

    private async Task<RoutingDecision> AskAsync(ReadRequest request, CancellationToken cancellationToken)
    {
        try
        {
            // With monotonic reads every read of a signed-in user needs their seen position, which their grain holds.
            var decision = request.IsOwnRead || (request.ReaderId is not null && options.Value.MonotonicReads)
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

    /// <summary>Tells the reader's grain how far the data just served reaches; one-way, the response does not wait.</summary>
    public void NoteServed(long readerId, WalPosition servedAt, string? replica, bool ownData)
    {
        if (!options.Value.MonotonicReads || options.Value.Direct)
        {
            return;
        }

        try
        {
            _ = grains.GetGrain<IUserConsistencyGrain>(readerId).NoteSeenAsync(servedAt, replica, ownData);
        }
        catch (Exception ex)
        {
            LogNoteSeenFailed(logger, readerId, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not note the position served to user {UserId}: {Error}")]
    private static partial void LogNoteSeenFailed(ILogger logger, long userId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Routing decision unavailable for user {UserId}, reading the primary: {ErrorType} {Error}")]
    private static partial void LogDecisionUnavailable(ILogger logger, long? userId, string errorType, string error);
}
