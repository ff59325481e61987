using System.Globalization;
using System.Security;
using System.Text;
using OrleansRaw.Bench.Harness;
using OrleansRaw.Bench.Results;

namespace OrleansRaw.Bench.Report;

/// <summary>
/// Draws the report's chart as a standalone SVG: three panels (stale own reads %, primary share of all reads %,
/// own-read p99 latency), each a group of bars per lag profile with one bar per strategy at the median of the
/// repetitions and a line from min to max.
/// </summary>
public static class SvgChart
{
    private const int Width = 980;
    private const int PanelHeight = 220;
    private const int Left = 70;
    private const int Right = 20;
    private const int LegendHeight = 100;
    private const int PanelGap = 58;

    private static readonly string[] Palette =
        ["#d62728", "#7f7f7f", "#ff7f0e", "#bcbd22", "#9ecae1", "#1f77b4", "#9467bd", "#2ca02c", "#006d2c", "#8c564b"];

    private sealed record Panel(string Title, string Unit, Func<CellResult, double?> Metric, double? FixedMax);

    public static string Render(BenchResults results)
    {
        var panels = new[]
        {
            new Panel("Stale own reads", "%", c => c.StalePercent, null),
            new Panel("Primary share of all reads", "%", c => c.PrimaryShare * 100, 100),
            new Panel("Own-read p99 latency", "ms", c => c.OwnP99, null),
        };
        var height = LegendHeight + panels.Length * (PanelHeight + PanelGap) + 10;
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"));
        svg.Append(Invariant($"<rect width=\"{Width}\" height=\"{height}\" fill=\"#ffffff\"/>\n"));
        svg.Append(Invariant($"<text x=\"{Left}\" y=\"20\" font-size=\"15\" font-weight=\"bold\">OrleansRaw read routing vs pgpool-II — {results.Users} users, seed {results.Seed}, median of {results.Repetitions} (line: min–max)</text>\n"));
        AppendLegend(svg, results.Strategies);

        for (var p = 0; p < panels.Length; p++)
        {
            AppendPanel(svg, results, panels[p], LegendHeight + p * (PanelHeight + PanelGap) + 24);
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void AppendLegend(StringBuilder svg, IReadOnlyList<string> strategies)
    {
        const int perRow = 3;
        for (var i = 0; i < strategies.Count; i++)
        {
            var x = Left + (i % perRow) * 300;
            var y = 34 + (i / perRow) * 18;
            svg.Append(Invariant($"<rect x=\"{x}\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{Color(strategies[i])}\"/>"));
            svg.Append(Invariant($"<text x=\"{x + 17}\" y=\"{y + 10}\">{Escape(strategies[i])}</text>\n"));
        }
    }

    private static void AppendPanel(StringBuilder svg, BenchResults results, Panel panel, int top)
    {
        var plotWidth = Width - Left - Right;
        var lags = results.LagProfiles.Select(l => l.Key).ToList();
        var strategies = results.Strategies;
        var values = new Dictionary<(string Strategy, string Lag), Summary>();
        foreach (var s in strategies)
        {
            foreach (var lag in lags)
            {
                var metric = results.CellsOf(s, lag).Select(panel.Metric).ToList();
                if (metric.Count > 0 && metric.All(v => v is not null))
                {
                    values[(s, lag)] = Stats.Summarize(metric.Select(v => v!.Value));
                }
            }
        }

        var max = panel.FixedMax ?? NiceCeiling(values.Values.Select(v => v.Max).DefaultIfEmpty(1).Max());
        svg.Append(Invariant($"<text x=\"{Left}\" y=\"{top - 18}\" font-size=\"13\" font-weight=\"bold\">{Escape(panel.Title)} ({panel.Unit})</text>\n"));

        // Grid and y axis.
        for (var t = 0; t <= 4; t++)
        {
            var value = max * t / 4;
            var y = top + PanelHeight - PanelHeight * t / 4.0;
            svg.Append(Invariant($"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - Right}\" y2=\"{y:0.#}\" stroke=\"#e0e0e0\"/>"));
            svg.Append(Invariant($"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" fill=\"#555\">{Tick(value)}</text>\n"));
        }

        svg.Append(Invariant($"<line x1=\"{Left}\" y1=\"{top + PanelHeight}\" x2=\"{Width - Right}\" y2=\"{top + PanelHeight}\" stroke=\"#333\"/>\n"));

        var groupWidth = plotWidth / (double)lags.Count;
        var barWidth = Math.Min(18, (groupWidth - 20) / strategies.Count);
        for (var g = 0; g < lags.Count; g++)
        {
            var groupLeft = Left + g * groupWidth + (groupWidth - barWidth * strategies.Count) / 2;
            svg.Append(Invariant($"<text x=\"{Left + g * groupWidth + groupWidth / 2:0.#}\" y=\"{top + PanelHeight + 16}\" text-anchor=\"middle\">lag {Escape(lags[g])}</text>\n"));
            for (var s = 0; s < strategies.Count; s++)
            {
                if (!values.TryGetValue((strategies[s], lags[g]), out var v))
                {
                    // A strategy without a figure here (pgpool's own-read share) is marked, not drawn as zero.
                    var nx = groupLeft + s * barWidth + barWidth / 2;
                    svg.Append(Invariant($"<text x=\"{nx:0.#}\" y=\"{top + PanelHeight - 4}\" text-anchor=\"middle\" font-size=\"9\" fill=\"#999\">–</text>\n"));
                    continue;
                }

                var x = groupLeft + s * barWidth;
                var barHeight = Scale(v.Median, max);
                var y = top + PanelHeight - barHeight;
                svg.Append(Invariant($"<rect x=\"{x + 1:0.#}\" y=\"{y:0.#}\" width=\"{barWidth - 2:0.#}\" height=\"{barHeight:0.#}\" fill=\"{Color(strategies[s])}\">"));
                svg.Append(Invariant($"<title>{Escape(strategies[s])}, lag {Escape(lags[g])}: {Tick(v.Median)} {panel.Unit} (min {Tick(v.Min)}, max {Tick(v.Max)})</title></rect>"));
                var cx = x + barWidth / 2;
                if (v.Max > v.Min)
                {
                    svg.Append(Invariant($"<line x1=\"{cx:0.#}\" y1=\"{top + PanelHeight - Scale(v.Min, max):0.#}\" x2=\"{cx:0.#}\" y2=\"{top + PanelHeight - Scale(v.Max, max):0.#}\" stroke=\"#222\" stroke-width=\"1\"/>"));
                }

                // The value over the bar (over its range line), so a zero is seen as a zero, not as a missing bar.
                var labelY = top + PanelHeight - Scale(Math.Max(v.Median, v.Max), max) - 3;
                svg.Append(Invariant($"<text x=\"{cx:0.#}\" y=\"{labelY:0.#}\" text-anchor=\"middle\" font-size=\"8.5\" fill=\"#333\">{Label(v.Median)}</text>"));

                svg.Append('\n');
            }
        }
    }

    private static double Scale(double value, double max) => max <= 0 ? 0 : Math.Clamp(value / max, 0, 1) * PanelHeight;

    /// <summary>1, 2, 2.5 or 5 times a power of ten, at or above <paramref name="value"/>.</summary>
    private static double NiceCeiling(double value)
    {
        if (value <= 0 || double.IsNaN(value))
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (step * magnitude >= value)
            {
                return step * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private static string Label(double value) =>
        value.ToString(value >= 10 || value == Math.Floor(value) ? "0" : "0.#", CultureInfo.InvariantCulture);

    private static string Tick(double value) =>
        value.ToString(value >= 100 || value == Math.Floor(value) ? "0" : value >= 10 ? "0.#" : "0.##", CultureInfo.InvariantCulture);

    // A strategy keeps its colour whichever strategies a run has; Direct came last, so earlier charts keep theirs.
    private static readonly IReadOnlyList<string> ColourOrder = [.. Strategy.All.Where(s => s != Strategy.Direct).Append(Strategy.Direct).Select(s => s.Label)];

    private static string Color(string strategy)
    {
        var index = ColourOrder.ToList().IndexOf(strategy);
        return Palette[(index < 0 ? ColourOrder.Count : index) % Palette.Length];
    }

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
