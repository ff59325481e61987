using System.Net;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// The document the API serves passes a real linter: Redocly CLI's recommended rules, with no error. Warnings are
/// listed in the test's output. The document is kept in <c>.data/openapi/v1.json</c> for a look by hand.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class OpenApiLintTests(SystemFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task ServedDocument_HasNoErrorUnderRedoclyRecommendedRules()
    {
        using var http = fixture.Default.Api.CreateClient();
        using var response = await http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var file = Path.Combine(RepoPaths.Root, ".data", "openapi", "v1.json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, await response.Content.ReadAsStringAsync());

        var report = await OpenApiLinter.LintAsync(file);

        output.WriteLine($"Redocly CLI, recommended rules, on {file}: {report.Errors} errors, {report.Warnings} warnings");
        foreach (var problem in report.Problems)
        {
            output.WriteLine(problem.ToString());
        }

        Assert.True(report.Errors == 0,
            $"{report.Errors} errors:\n{string.Join('\n', report.Problems.Where(p => p.Severity == "error"))}");
    }
}
