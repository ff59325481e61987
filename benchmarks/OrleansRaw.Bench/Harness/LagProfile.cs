namespace OrleansRaw.Bench.Harness;

/// <summary>
/// Replica lag during a cell, made real with <c>recovery_min_apply_delay</c> on both replicas (<c>scripts/services lag</c>):
/// a steady delay, or a steady one with a spike in the middle of the cell.
/// </summary>
/// <param name="Key">Name in the report and on the command line.</param>
/// <param name="Steady">The delay before and after the spike (or throughout).</param>
/// <param name="Spike">The delay during the spike, if any.</param>
/// <param name="SpikeFrom">When the spike starts, from the start of the cell.</param>
/// <param name="SpikeFor">How long the spike lasts.</param>
public sealed record LagProfile(string Key, TimeSpan Steady, TimeSpan? Spike = null, TimeSpan SpikeFrom = default, TimeSpan SpikeFor = default)
{
    public static LagProfile Steadily(int ms) => new($"{ms} ms", TimeSpan.FromMilliseconds(ms));

    /// <summary>50 ms, then 2 s from 3 s into the cell for 6 s (the think times of 1 s and 3 s fall inside it), then 50 ms.</summary>
    public static readonly LagProfile SpikeTo2s = new("spike 2 s", TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(6));

    public static readonly IReadOnlyList<LagProfile> Full = [Steadily(0), Steadily(50), Steadily(300), SpikeTo2s];

    public static readonly LagProfile Quick = Steadily(300);

    public string Describe() => Spike is { } spike
        ? $"{Steady.TotalMilliseconds:0} ms, {spike.TotalSeconds:0.#} s from {SpikeFrom.TotalSeconds:0} s to {(SpikeFrom + SpikeFor).TotalSeconds:0} s of the cell"
        : $"{Steady.TotalMilliseconds:0} ms throughout";
}
