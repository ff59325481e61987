using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using OrleansRaw.Bench.Results;
using OrleansRaw.Bench.Harness;
using OrleansRaw.Bench.Report;
using OrleansRaw.Bench.Scale;

namespace OrleansRaw.Bench;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(BenchOptions.Usage);
            return 0;
        }

        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"bench: {ex.Message}\n\n{BenchOptions.Usage}");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        var env = BenchEnvironment.FromEnvironment(options.Root);
        if (options.Scale)
        {
            return await ScaleAsync(options, env, stop.Token);
        }

        try
        {
            var results = options.RenderFrom is { } saved
                ? Rendered(JsonSerializer.Deserialize<BenchResults>(await File.ReadAllTextAsync(saved), Json)!)
                : await new BenchRun(options, env, Log).RunAsync(stop.Token);
            var outDirectory = options.OutDirectory ?? (options.Quick ? Path.Combine(env.RunDirectory, "report") : Path.Combine(options.Root, "docs"));
            Directory.CreateDirectory(outDirectory);
            await File.WriteAllTextAsync(Path.Combine(outDirectory, "benchmarks.svg"), SvgChart.Render(results));
            // The explanation is edited by hand in docs/benchmarks-notes.md; the report carries it after the targets.
            var notesFile = Path.Combine(options.Root, "docs", "benchmarks-notes.md");
            var notes = File.Exists(notesFile) ? await File.ReadAllTextAsync(notesFile) : null;
            await File.WriteAllTextAsync(Path.Combine(outDirectory, "benchmarks.md"), MarkdownReport.Render(results, "benchmarks.svg", notes));
            if (options.RenderFrom is null)
            {
                Directory.CreateDirectory(env.RunDirectory);
                await File.WriteAllTextAsync(Path.Combine(env.RunDirectory, "results.json"), JsonSerializer.Serialize(results, Json));
            }

            Log($"done in {results.Elapsed.TotalMinutes:F1} min: {Path.Combine(outDirectory, "benchmarks.md")}, {Path.Combine(outDirectory, "benchmarks.svg")}");
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Log("stopped");
            return 130;
        }
        catch (Exception ex)
        {
            Log("failed: " + ex);
            return 1;
        }
    }

    private static async Task<int> ScaleAsync(BenchOptions options, BenchEnvironment env, CancellationToken cancellationToken)
    {
        try
        {
            var results = await new ScaleRun(options, env, Log).RunAsync(cancellationToken);
            Directory.CreateDirectory(env.RunDirectory);
            await File.WriteAllTextAsync(Path.Combine(env.RunDirectory, "scale-results.json"), JsonSerializer.Serialize(results, Json), cancellationToken);
            var outDirectory = options.OutDirectory ?? (options.Quick ? Path.Combine(env.RunDirectory, "report") : Path.Combine(options.Root, "docs"));
            Directory.CreateDirectory(outDirectory);
            var report = Path.Combine(outDirectory, "scaling-figures.md");
            await File.WriteAllTextAsync(report, ScaleReport.Render(results), cancellationToken);
            Log($"done in {results.Elapsed.TotalMinutes:F1} min: {report}");
            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log("stopped");
            return 130;
        }
        catch (Exception ex)
        {
            Log("failed: " + ex);
            return 1;
        }
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        IncludeFields = true,
        PreferredObjectCreationHandling = JsonObjectCreationHandling.Populate,
    };

    private static BenchResults Rendered(BenchResults results)
    {
        results.RenderedLater = true;
        return results;
    }

    private static void Log(string message) => Console.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {message}");
}
