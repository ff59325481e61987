using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.WebApi.Consistency;

/// <summary>The API's side of consistency: how long it waits for grains, bound from the <c>Consistency</c> section.</summary>
public sealed class ConsistencyApiOptions
{
    public const string SectionName = "Consistency";

    /// <summary>A routing decision slower than this is abandoned and the read goes to the primary (always safe).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan DecisionTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Route every read of a signed-in user through their grain, so none is served from behind what they saw.</summary>
    public bool MonotonicReads { get; set; } = true;

    /// <summary>How long a committed write keeps retrying to record itself in the user's grain before the API answers 503.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan RecordWriteTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
