using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.WebApi.Consistency;

/// <summary>The API's side of consistency: how long it waits for grains, bound from the <c>Consistency</c> section.</summary>
public sealed class ConsistencyApiOptions
{
    public const string SectionName = "Consistency";

    /// <summary>A routing decision slower than this is abandoned and the read goes to the primary (always safe).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan DecisionTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a committed write keeps retrying to record itself in the user's grain before the API answers 503.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan RecordWriteTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Baseline only (for <c>./bench</c>): no Orleans client, no routing, no write tracking; every read runs on the
    /// primary with reason <see cref="RoutingReasons.Direct"/>, so the benchmark can measure the same HTTP contract
    /// without the routing layer. Not for production: it puts every read on the primary, which the layer exists to avoid.
    /// </summary>
    public bool Direct { get; set; }

    /// <summary><see cref="Direct"/> as configured, for registrations made before the options exist.</summary>
    public static bool IsDirect(IConfiguration configuration) => configuration.GetValue<bool>($"{SectionName}:{nameof(Direct)}");
}
