using System.Net;
using System.Net.Http.Json;
using OrleansRaw.Tests.Cluster;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Samples;

/// <summary>
/// samples/Notes, built as an outside app would build it: from the packed packages in a local folder feed, not from
/// the projects. It runs as its own process against a silo process and the test databases.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class NotesSampleTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const int Rounds = 25;
    private static readonly TimeSpan Lag = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task NotesSample_BuiltFromThePackages_NeverReadsItsOwnNoteStale_At300MsLag_WhereEventualDoes()
    {
        var app = await BuildSampleAsync();
        var id = Guid.NewGuid().ToString("N")[..8];
        var settings = Deployment.BaseSettings(new Dictionary<string, string?>
        {
            ["Orleans:ClusterId"] = "notes-" + id,
            ["Orleans:ServiceId"] = "orleansraw-notes-" + id,
            ["Consistency:TokenSigningKey"] = Deployment.SigningKey,
        });
        await using var silo = await SiloProcess.StartAsync(settings);
        await using var routed = AppProcess.Start(app, settings);
        await using var eventual = AppProcess.Start(app, new Dictionary<string, string?>(settings) { ["Consistency:Mode"] = "Eventual" });
        using var routedHttp = new HttpClient { BaseAddress = routed.Address };
        using var eventualHttp = new HttpClient { BaseAddress = eventual.Address };
        await WaitForReplicaReadsAsync(eventualHttp, eventual);
        await WaitForReplicaReadsAsync(routedHttp, routed);

        await fixture.Db.SetLagAsync(Lag);
        try
        {
            var routedStale = await StaleOwnReadsAsync(routedHttp);
            var eventualStale = await StaleOwnReadsAsync(eventualHttp);
            output.WriteLine($"at {Lag.TotalMilliseconds} ms lag: Lsn {routedStale.Stale}/{Rounds} stale ({routedStale.OnReplicas} on replicas), "
                + $"Eventual {eventualStale.Stale}/{Rounds} stale ({eventualStale.OnReplicas} on replicas)");
            Assert.True(eventualStale.Stale > 0, "the lag was not real: even eventual reads saw every note");
            Assert.Equal(0, routedStale.Stale);
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    // Posts a note as a new user and reads the user's notes at once, Rounds times.
    private static async Task<(int Stale, int OnReplicas)> StaleOwnReadsAsync(HttpClient http)
    {
        var stale = 0;
        var onReplicas = 0;
        for (var i = 0; i < Rounds; i++)
        {
            // Integers and GUIDs alike: the sample keeps the library's string ids as they are.
            var user = i % 2 == 0 ? TestUsers.NewKey() : TestUsers.Key(TestUsers.NewId());
            using var post = new HttpRequestMessage(HttpMethod.Post, "/notes") { Content = JsonContent.Create(new { text = $"note {i}" }) };
            post.Headers.Add("X-User-Id", user);
            using var posted = await http.SendAsync(post);
            Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
            var note = await posted.Content.ReadFromJsonAsync<Note>();

            using var get = new HttpRequestMessage(HttpMethod.Get, "/notes");
            get.Headers.Add("X-User-Id", user);
            using var read = await http.SendAsync(get);
            read.EnsureSuccessStatusCode();
            var notes = await read.Content.ReadFromJsonAsync<List<Note>>();
            stale += notes!.Any(n => n.Id == note!.Id) ? 0 : 1;
            onReplicas += read.Headers.TryGetValues("X-Read-Source", out var source) && source.Single().StartsWith("replica:", StringComparison.Ordinal) ? 1 : 0;
        }

        return (stale, onReplicas);
    }

    // Until the app has its first replica snapshot, every read goes to the primary (safe, but it proves nothing).
    private static async Task WaitForReplicaReadsAsync(HttpClient http, AppProcess app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var get = new HttpRequestMessage(HttpMethod.Get, "/notes");
                get.Headers.Add("X-User-Id", "1");
                using var read = await http.SendAsync(get);
                if (read.IsSuccessStatusCode && read.Headers.TryGetValues("X-Read-Source", out var source)
                    && source.Single().StartsWith("replica:", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(250);
        }

        throw new TimeoutException("the Notes sample never read from a replica:\n" + app.Output);
    }

    // Packs the libraries into the local feed under a version of this run's own (so no cached package of the same
    // version can stand in for it), then builds the sample against that version.
    private async Task<string> BuildSampleAsync()
    {
        var root = RepoPaths.Root;
        var feed = Path.Combine(root, ".data", "packages");
        Directory.CreateDirectory(feed);
        foreach (var old in Directory.EnumerateFiles(feed, "OrleansRaw.*-test.*"))
        {
            File.Delete(old);
        }

        var version = $"0.5.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}";
        await RunAsync(Path.Combine(root, "scripts", "pack"), ["--no-build", "--version", version], root);
        var outputDir = Path.Combine(root, ".data", "notes-sample");
        await RunAsync("dotnet", ["build", Path.Combine(root, "samples", "Notes", "Notes.csproj"), "-c", "Release", "-o", outputDir,
            "-nologo", "-v", "quiet", $"-p:OrleansRawVersion={version}"], root);
        return Path.Combine(outputDir, "Notes.dll");
    }

    private async Task RunAsync(string file, string[] arguments, string directory)
    {
        var (exitCode, text) = await AppProcess.RunAsync(file, arguments, directory, TimeSpan.FromMinutes(5));
        output.WriteLine($"$ {Path.GetFileName(file)} {string.Join(' ', arguments)} -> {exitCode}");
        Assert.True(exitCode == 0, text);
    }

    private sealed record Note(long Id, string UserId, string Text);
}
