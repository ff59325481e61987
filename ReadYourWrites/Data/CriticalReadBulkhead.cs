using Microsoft.Extensions.Options;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Admits at most <see cref="DatabaseOptions.CriticalReadConnections"/> critical reads at once, one per connection of
/// their pool, and refuses the rest after <see cref="DatabaseOptions.CriticalReadQueueTimeout"/>: a queue that grew
/// without bound would only move the wait from the pool to here.
/// </summary>
internal sealed class CriticalReadBulkhead(IOptions<DatabaseOptions> options) : IDisposable
{
    private readonly SemaphoreSlim? _slots = options.Value.IsolateCriticalReads
        ? new SemaphoreSlim(options.Value.CriticalReadConnections, options.Value.CriticalReadConnections)
        : null;

    /// <summary>A slot, held until disposed; throws <see cref="CriticalReadsBusyException"/> when none frees up in time.</summary>
    public async ValueTask<Slot> EnterAsync(CancellationToken cancellationToken)
    {
        if (_slots is null)
        {
            return default;
        }

        if (!await _slots.WaitAsync(options.Value.CriticalReadQueueTimeout, cancellationToken))
        {
            throw new CriticalReadsBusyException();
        }

        return new Slot(_slots);
    }

    public void Dispose() => _slots?.Dispose();

    /// <summary>A held slot of the bulkhead.</summary>
    public readonly struct Slot(SemaphoreSlim? slots) : IDisposable
    {
        public void Dispose() => slots?.Release();
    }
}

/// <summary>Every connection critical reads may use is busy: the read is refused (503, retry shortly) rather than queued.</summary>
internal sealed class CriticalReadsBusyException() : Exception("Every connection reserved for critical reads is busy.");
