using System.Globalization;
using System.Text.RegularExpressions;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>One scrape of a Prometheus text exposition, read the way a test asks about it.</summary>
public sealed partial class PrometheusText
{
    private readonly List<Sample> _samples;

    private PrometheusText(string text, List<Sample> samples)
    {
        Text = text;
        _samples = samples;
    }

    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public string Text { get; }

    public IReadOnlyList<Sample> Samples => _samples;

    public static PrometheusText Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var match = SampleLine().Match(line);
            if (!match.Success)
            {
                throw new FormatException("not a Prometheus sample line: " + line);
            }

            var labels = LabelPair().Matches(match.Groups["labels"].Value)
                .ToDictionary(m => m.Groups["key"].Value, m => Regex.Unescape(m.Groups["value"].Value));
            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new Sample(match.Groups["name"].Value, labels, value));
        }

        return new PrometheusText(text, samples);
    }

    /// <summary>The sum of every series of <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public double Sum(string name, params (string Key, string Value)[] labels) =>
        Matching(name, labels).Sum(s => s.Value);

    public IEnumerable<Sample> Matching(string name, params (string Key, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));

    public bool Has(string name) => _samples.Any(s => s.Name == name);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(\\.|[^""\\])*)""")]
    private static partial Regex LabelPair();
}
