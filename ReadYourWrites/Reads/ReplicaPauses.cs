using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Replicas this API stopped sending reads to for a moment, because a read there failed or did not answer within
/// <see cref="DatabaseOptions.ReplicaReadTimeout"/>. The monitor marks such a replica unhealthy for everyone after a few
/// failed probes; until then every read routed there would wait out the timeout and leave a hung read behind.
/// </summary>
internal sealed class ReplicaPauses(IOptions<DatabaseOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);

    public void Pause(string replica) => _until[replica] = clock.GetUtcNow() + options.Value.ReplicaPause;

    /// <summary>The snapshot with each paused replica shown unhealthy.</summary>
    public ReplicaSnapshot Apply(ReplicaSnapshot snapshot)
    {
        if (_until.IsEmpty)
        {
            return snapshot;
        }

        var now = clock.GetUtcNow();
        foreach (var (name, until) in _until)
        {
            if (until <= now)
            {
                _until.TryRemove(new KeyValuePair<string, DateTimeOffset>(name, until));
            }
        }

        return snapshot.Replicas.Any(r => r.Healthy && _until.ContainsKey(r.Name))
            ? snapshot with { Replicas = [.. snapshot.Replicas.Select(r => r.Healthy && _until.ContainsKey(r.Name) ? r with { Healthy = false } : r)] }
            : snapshot;
    }
}
