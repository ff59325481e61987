namespace OrleansRaw.WebApi.Observability;

/// <summary>
/// How many of this API's reads ran on the primary over a sliding window, in one-second buckets: the figure the
/// primary-read-share gauge and alert use. Recording a read costs one short lock.
/// </summary>
public sealed class ReadShareWindow : IReadServedListener
{
    private readonly TimeProvider _clock;
    private readonly long[] _second;
    private readonly long[] _primary;
    private readonly long[] _total;
    private readonly Lock _gate = new();

    public ReadShareWindow(TimeProvider clock, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromSeconds(1));
        _clock = clock;
        Window = window;
        var buckets = (int)Math.Ceiling(window.TotalSeconds);
        _second = new long[buckets];
        _primary = new long[buckets];
        _total = new long[buckets];
        Array.Fill(_second, long.MinValue);
    }

    public TimeSpan Window { get; }

    public void ReadServed(string source, string reason) => Record(source == ReadSources.Primary);

    /// <summary>Counts one read, on the primary or on a replica.</summary>
    public void Record(bool onPrimary)
    {
        var now = _clock.GetUtcNow().ToUnixTimeSeconds();
        var i = (int)(now % _second.Length);
        lock (_gate)
        {
            if (_second[i] != now)
            {
                _second[i] = now;
                _primary[i] = 0;
                _total[i] = 0;
            }

            _total[i]++;
            if (onPrimary)
            {
                _primary[i]++;
            }
        }
    }

    /// <summary>The reads of the window so far (the current, partial second included).</summary>
    public ReadShare Current()
    {
        var now = _clock.GetUtcNow().ToUnixTimeSeconds();
        long primary = 0, total = 0;
        lock (_gate)
        {
            for (var i = 0; i < _second.Length; i++)
            {
                if (_second[i] > now - _second.Length)
                {
                    primary += _primary[i];
                    total += _total[i];
                }
            }
        }

        return new ReadShare(primary, total - primary, Window);
    }
}

/// <summary>Reads over a window, by where they ran.</summary>
public sealed record ReadShare(long PrimaryReads, long ReplicaReads, TimeSpan Window)
{
    public long Reads => PrimaryReads + ReplicaReads;

    /// <summary>The primary's share of the reads, from 0 to 1 (0 when there were none).</summary>
    public double PrimaryShare => Reads == 0 ? 0 : (double)PrimaryReads / Reads;
}
