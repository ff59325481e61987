using Microsoft.Extensions.Options;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Decides where a read runs, here in the API: the routing policy applied to the reader's state (held under lease from
/// their grain) and the replica snapshot this server keeps. When either is unavailable the primary (always safe) is the answer.
/// </summary>
internal sealed partial class ReadRouter(
    ReaderLeases leases,
    ReplicaSnapshotFeed snapshots,
    ReplayProofs proofs,
    ReplicaPauses pauses,
    RoutingPolicy policy,
    IOptions<ConsistencyOptions> options,
    ReadYourWritesMetrics instruments,
    TimeProvider clock,
    ILogger<ReadRouter> logger) : IReadRouting
{
    string IReadRouting.Mode => policy.Options.Mode.ToString();

    public async Task<RoutingDecision> DecideAsync(ReadRequest request, CancellationToken cancellationToken)
    {
        // A critical read goes to the primary whatever the reader's state. With monotonic reads this server still
        // takes a lease first: what it serves must reach any other server routing this user from a copy of its own.
        if (request.Critical)
        {
            if (request.ReaderId is { } reader && policy.Options.MonotonicReads)
            {
                _ = await ReaderStateAsync(reader, cancellationToken);
            }

            return RoutingDecision.Primary(RoutingReasons.Critical);
        }

        var started = clock.GetTimestamp();
        var decision = await DecideWithStateAsync(request, cancellationToken);
        instruments.DecisionTaken(decision, request.IsOwnRead, clock.GetElapsedTime(started));
        return decision;
    }

    Task IReadRouting.NoteServedAsync(ReadRequest request, RoutingDecision decision, ConsistencyContext served) =>
        NoteServedAsync(request.ReaderId, decision, served, request.IsOwnRead);

    /// <summary>Notes where a read ran and how far the data it served reached, for the reader's later reads and everyone's replica choice.</summary>
    public async Task NoteServedAsync(string? readerId, RoutingDecision decision, ConsistencyContext db, bool ownData)
    {
        if (db.ServedBy is { } replica)
        {
            proofs.Note(replica, db.ServedAt);
        }
        else if (decision.Replica is { } failed && db.ReadReason == RoutingReasons.GuardFallback)
        {
            proofs.Forget(failed);
        }

        if (readerId is { } userId && !db.ServedAt.IsZero && policy.Options.MonotonicReads)
        {
            try
            {
                await leases.NoteServedAsync(userId, db.ServedAt, ownData);
            }
            catch (Exception ex)
            {
                // The grain did not hear of it in time: this server sends it with its next call for the user, and the
                // response's consistency token carries it to any server the reader goes to next.
                LogNoteServedFailed(logger, userId, ex.Message);
            }
        }
    }

    private async Task<RoutingDecision> DecideWithStateAsync(ReadRequest request, CancellationToken cancellationToken)
    {
        if (snapshots.Fresh is not { } snapshot)
        {
            return RoutingDecision.Primary(RoutingReasons.DecisionUnavailable);
        }

        var reader = ReaderState.None;
        if (request.ReaderId is { } readerId && NeedsReaderState(request))
        {
            if (await ReaderStateAsync(readerId, cancellationToken) is not { } state)
            {
                return RoutingDecision.Primary(RoutingReasons.DecisionUnavailable);
            }

            reader = state;
        }

        return policy.Decide(request, reader, pauses.Apply(proofs.Apply(snapshot)), clock.GetUtcNow());
    }

    // The reader's state from this server's lease, or null (logged) when it cannot be had within the decision timeout.
    private async Task<ReaderState?> ReaderStateAsync(string readerId, CancellationToken cancellationToken)
    {
        try
        {
            return await leases.StateAsync(readerId).AsTask().WaitAsync(options.Value.DecisionTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogDecisionUnavailable(logger, readerId, ex.GetType().Name, ex.Message);
            return null;
        }
    }

    // Own data needs the reader's last write; monotonic reads need what they were served; shared data (a feed) both.
    private bool NeedsReaderState(ReadRequest request) =>
        request.IsOwnRead || request.OwnerId is null || policy.Options.MonotonicReads;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell user {UserId}'s grain how far a read reached: {Error}")]
    private static partial void LogNoteServedFailed(ILogger logger, string userId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Routing decision unavailable for user {UserId}, reading the primary: {ErrorType} {Error}")]
    private static partial void LogDecisionUnavailable(ILogger logger, string userId, string errorType, string error);
}
