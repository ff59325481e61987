using System.Diagnostics;
using System.Text.Json;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>Runs <c>scripts/lint-openapi</c> (Redocly CLI, recommended rules) on a document and reads its JSON report.</summary>
public static class OpenApiLinter
{
    /// <summary>One problem the linter found: its rule, <c>error</c> or <c>warn</c>, what it says and where.</summary>
    public sealed record Problem(string Rule, string Severity, string Message, string Pointer)
    {
        public override string ToString() => $"{Severity} {Rule} at {Pointer}: {Message}";
    }

    public sealed record Report(int Errors, int Warnings, IReadOnlyList<Problem> Problems, string Log);

    public static async Task<Report> LintAsync(string file)
    {
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "scripts", "lint-openapi"), ["--format=json", file])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // The first run installs the CLI from npm.
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        var (json, log) = (await stdout, await stderr);

        // Exit 1 with a report is the linter finding errors; anything else (no Node.js, npm failing) has no report.
        if (process.ExitCode is not (0 or 1) || !json.TrimStart().StartsWith('{'))
        {
            throw new InvalidOperationException($"scripts/lint-openapi failed (exit {process.ExitCode}) without a report:\n{json}\n{log}");
        }

        using var report = JsonDocument.Parse(json);
        var totals = report.RootElement.GetProperty("totals");
        var problems = report.RootElement.GetProperty("problems").EnumerateArray().Select(p => new Problem(
            p.GetProperty("ruleId").GetString()!,
            p.GetProperty("severity").GetString()!,
            p.GetProperty("message").GetString()!,
            p.GetProperty("location").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } at
                && at.TryGetProperty("pointer", out var pointer) ? pointer.GetString()! : "")).ToList();
        return new Report(totals.GetProperty("errors").GetInt32(), totals.GetProperty("warnings").GetInt32(), problems, log);
    }
}
