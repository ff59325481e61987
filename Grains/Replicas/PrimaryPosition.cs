namespace OrleansRaw.Grains.Replicas;

/// <summary>
/// The primary's current WAL position for grain activations, one query at a time per silo: callers that ask while a
/// query runs share the next one, which starts after they asked (a position read before the caller asked could
/// predate a write the caller must cover). Many users activating at once cost a few queries and one connection.
/// </summary>
internal sealed class PrimaryPosition(DatabaseProbes probes) : IPrimaryPosition
{
    private readonly Lock _gate = new();
    private Task<WalPosition>? _running;
    private Task<WalPosition>? _next;

    /// <summary>A position at or past every write committed before this call.</summary>
    public Task<WalPosition> ReadAsync()
    {
        lock (_gate)
        {
            if (_running is null || _running.IsCompleted)
            {
                return _running = Query();
            }

            return _next ??= AfterRunningAsync(_running);
        }
    }

    private async Task<WalPosition> AfterRunningAsync(Task<WalPosition> running)
    {
        await ((Task)running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ForceYielding);
        Task<WalPosition> query;
        lock (_gate)
        {
            query = _running = Query();
            _next = null;
        }

        return await query;
    }

    private Task<WalPosition> Query() => Task.Run(async () => (await probes.ReadPrimaryAsync(CancellationToken.None)).ToWrittenEnd());
}
