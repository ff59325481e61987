using System.Globalization;

namespace OrleansRaw.Bench.Results;

/// <summary>Percentiles and the median-with-range summary the report uses.</summary>
public static class Stats
{
    /// <summary>The nearest-rank percentile (<paramref name="p"/> in 0..1); 0 for no values.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static Summary Summarize(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return new Summary(double.NaN, double.NaN, double.NaN, 0);
        }

        var mid = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new Summary(median, sorted[0], sorted[^1], sorted.Length);
    }
}

/// <summary>The median of repetitions, with the lowest and highest.</summary>
public readonly record struct Summary(double Median, double Min, double Max, int Count)
{
    public bool IsEmpty => Count == 0;
}

/// <summary>How numbers are written in the console and the report (invariant culture throughout).</summary>
public static class Format
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Think(TimeSpan think) =>
        think == TimeSpan.Zero ? "0"
        : think < TimeSpan.FromSeconds(1) ? string.Create(Invariant, $"{think.TotalMilliseconds:0} ms")
        : string.Create(Invariant, $"{think.TotalSeconds:0.#} s");

    public static string Percent(double? share) => share is { } s ? string.Create(Invariant, $"{s * 100:0.0} %") : "n/a";

    public static string Number(double value, string format) => value.ToString(format, Invariant);
}
