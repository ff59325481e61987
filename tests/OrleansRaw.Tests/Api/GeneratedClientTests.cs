using System.Diagnostics;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// Kiota, run again on the committed document, writes exactly the committed <c>clients/OrleansRaw.Client/Generated</c>:
/// failing means the document, the generator or its options changed without <c>scripts/generate-client</c> being run.
/// </summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class GeneratedClientTests
{
    private const string Fix = ClientDriftTests.Fix;
    private static readonly string Generated = Path.Combine(RepoPaths.Root, "clients", "OrleansRaw.Client", "Generated");

    [Fact]
    public async Task CommittedClient_IsWhatKiotaGeneratesFromTheCommittedDocument()
    {
        var fresh = Directory.CreateTempSubdirectory("orleansraw-client-").FullName;
        try
        {
            await GenerateAsync(fresh);
            var expected = Files(fresh);
            var committed = Files(Generated);
            Assert.True(expected.Keys.Order().SequenceEqual(committed.Keys.Order()),
                $"the generated files differ: only fresh {string.Join(", ", expected.Keys.Except(committed.Keys))}; "
                + $"only committed {string.Join(", ", committed.Keys.Except(expected.Keys))}: {Fix}");
            var changed = expected.Where(f => f.Value != committed[f.Key]).Select(f => f.Key).ToList();
            Assert.True(changed.Count == 0, $"generated files differ from the committed client ({string.Join(", ", changed)}): {Fix}");
        }
        finally
        {
            Directory.Delete(fresh, recursive: true);
        }
    }

    // Every file by its relative path; the lock file's descriptionLocation names where the document was read from,
    // relative to the output, so it is left out (its descriptionHash, Kiota's version and options are compared).
    private static Dictionary<string, string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f),
            f => string.Join('\n', File.ReadAllLines(f).Where(l => !l.TrimStart().StartsWith("\"descriptionLocation\""))));

    private static async Task GenerateAsync(string output)
    {
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "scripts", "generate-client"), ["--no-fetch", output])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(process.ExitCode == 0, $"scripts/generate-client failed (exit {process.ExitCode}):\n{await stdout}\n{await stderr}");
    }
}
