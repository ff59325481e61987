using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Samples;

/// <summary>
/// samples/Conduit, the RealWorld API, built from the packed packages and run as its own co-hosted process on the test
/// databases (in a database of its own), driven as a RealWorld client drives it: each write followed at once by the read
/// that must show it, including reads of another user's data that hold the caller's own writes (their favorite, their
/// comment, their follow). Both replicas lag 300 ms, then 2 s.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ConduitSampleTests(SystemFixture fixture, ConduitSampleTests.SampleBuild build, ITestOutputHelper output)
    : IClassFixture<ConduitSampleTests.SampleBuild>
{
    private const int Rounds = 3;
    private static readonly string[] Flows = ["register", "article", "favorite", "comment", "follow", "update", "feed"];

    [Fact]
    public async Task Conduit_BuiltFromThePackages_NeverReadsTheCallersWritesStale_At300MsAnd2sLag_WhereEventualDoes()
    {
        await EnsureDatabaseAsync();
        await using var routed = AppProcess.Start(build.App, Settings());
        await using var eventual = AppProcess.Start(build.App, Settings(eventual: true));
        using var routedHttp = new HttpClient { BaseAddress = new Uri(routed.Address, "/api/") };
        using var eventualHttp = new HttpClient { BaseAddress = new Uri(eventual.Address, "/api/") };
        await WaitForReplicaReadsAsync(routedHttp, routed);
        await WaitForReplicaReadsAsync(eventualHttp, eventual);

        try
        {
            foreach (var lag in new[] { TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(2) })
            {
                await fixture.Db.SetLagAsync(lag);
                var routedRun = await RunFlowsAsync(routedHttp);
                var eventualRun = await RunFlowsAsync(eventualHttp);
                output.WriteLine($"at {lag.TotalMilliseconds} ms lag, {Rounds} rounds of each flow: Lsn {routedRun} | Eventual {eventualRun}");
                Assert.True(eventualRun.Total > 0, $"the lag was not real: even eventual reads saw every write at {lag.TotalMilliseconds} ms");
                Assert.Equal(0, routedRun.Total);
            }
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    // Rounds of every flow, each with new users; what each flow's read missed of the write just before it.
    private static async Task<StaleCounts> RunFlowsAsync(HttpClient http)
    {
        var counts = new StaleCounts();
        for (var round = 0; round < Rounds; round++)
        {
            // Sign-up, then the new user's own reads: sign-in (always on the primary) and the current user.
            var author = await RegisterAsync(http);
            var login = await SendAsync(http, HttpMethod.Post, "users/login", null, new { user = new { email = author.Email, password = Password } });
            Assert.Equal(HttpStatusCode.OK, login.Status);
            var me = await SendAsync(http, HttpMethod.Get, "user", author.Token);
            counts.Note("register", me.Json?["user"]?["username"]?.GetValue<string>() != author.Username, me);

            // Create an article, then open it by its slug.
            var created = await SendAsync(http, HttpMethod.Post, "articles", author.Token, new
            {
                article = new { title = $"Dragons {Guid.NewGuid():N}", description = "Ever wonder how?", body = "Very carefully.", tagList = new[] { "training", "dragons" } },
            });
            Assert.Equal(HttpStatusCode.Created, created.Status);
            var slug = created.Json!["article"]!["slug"]!.GetValue<string>();
            var opened = await SendAsync(http, HttpMethod.Get, $"articles/{slug}", author.Token);
            counts.Note("article", opened.Status != HttpStatusCode.OK, opened);

            // Another user favorites it, then lists what they favorited: the author's article, with the reader's favorite.
            var reader = await RegisterAsync(http);
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Post, $"articles/{slug}/favorite", reader.Token)).Status);
            var favorites = await SendAsync(http, HttpMethod.Get, $"articles?favorited={reader.Username}", reader.Token);
            counts.Note("favorite", favorites.Json?["articles"]?.AsArray().Any(a => a!["slug"]!.GetValue<string>() == slug && a["favorited"]!.GetValue<bool>()) != true, favorites);

            // They comment on it, then list its comments.
            var comment = await SendAsync(http, HttpMethod.Post, $"articles/{slug}/comments", reader.Token, new { comment = new { body = "Thank you so much!" } });
            Assert.Equal(HttpStatusCode.OK, comment.Status);
            var commentId = comment.Json!["comment"]!["id"]!.GetValue<long>();
            var comments = await SendAsync(http, HttpMethod.Get, $"articles/{slug}/comments", reader.Token);
            counts.Note("comment", comments.Json?["comments"]?.AsArray().Any(c => c!["id"]!.GetValue<long>() == commentId) != true, comments);

            // They follow the author, then open the author's profile.
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Post, $"profiles/{author.Username}/follow", reader.Token)).Status);
            var profile = await SendAsync(http, HttpMethod.Get, $"profiles/{author.Username}", reader.Token);
            counts.Note("follow", profile.Json?["profile"]?["following"]?.GetValue<bool>() != true, profile);

            // Their feed now holds the followed author's article, written before the follow.
            var feed = await SendAsync(http, HttpMethod.Get, "articles/feed", reader.Token);
            counts.Note("feed", feed.Json?["articles"]?.AsArray().Any(a => a!["slug"]!.GetValue<string>() == slug) != true, feed);

            // The author changes their bio, then reads the current user.
            var bio = $"bio {Guid.NewGuid():N}";
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Put, "user", author.Token, new { user = new { bio } })).Status);
            var updated = await SendAsync(http, HttpMethod.Get, "user", author.Token);
            counts.Note("update", updated.Json?["user"]?["bio"]?.GetValue<string>() != bio, updated);
        }

        return counts;
    }

    private const string Password = "a-conduit-password";

    private static async Task<Registered> RegisterAsync(HttpClient http)
    {
        var username = "u" + Guid.NewGuid().ToString("N")[..16];
        var email = username + "@conduit.test";
        var registered = await SendAsync(http, HttpMethod.Post, "users", null, new { user = new { username, email, password = Password } });
        Assert.Equal(HttpStatusCode.Created, registered.Status);
        return new Registered(username, email, registered.Json!["user"]!["token"]!.GetValue<string>());
    }

    // A RealWorld client's request: Authorization: Token <jwt>.
    private static async Task<Answer> SendAsync(HttpClient http, HttpMethod method, string path, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Token", token);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var source = response.Headers.TryGetValues("X-Read-Source", out var values) ? values.Single() : null;
        return new Answer(response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), source);
    }

    // Until the app has its first replica snapshot, every read goes to the primary (safe, but it proves nothing).
    private static async Task WaitForReplicaReadsAsync(HttpClient http, AppProcess app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && !app.HasExited)
        {
            try
            {
                if ((await SendAsync(http, HttpMethod.Get, "tags", null)).Source?.StartsWith("replica:", StringComparison.Ordinal) == true)
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

        throw new TimeoutException("the Conduit sample never read from a replica:\n" + app.Output);
    }

    // Conduit's own database on the test PostgreSQL, as ./run --sample conduit makes it; its migrations make the tables.
    private async Task EnsureDatabaseAsync()
    {
        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = 'conduit'", connection);
        if (await exists.ExecuteScalarAsync() is null)
        {
            await using var create = new NpgsqlCommand("CREATE DATABASE conduit", connection);
            await create.ExecuteNonQueryAsync();
        }
    }

    // A one-silo cluster of the app's own, on the test databases (database conduit).
    private static Dictionary<string, string?> Settings(bool eventual = false)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var settings = Deployment.BaseSettings(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Conduit:CoHosted"] = "true",
            ["Orleans:ClusterId"] = "conduit-" + id,
            ["Orleans:ServiceId"] = "conduit-" + id,
            ["Orleans:Endpoints:SiloPort"] = AppProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Orleans:Endpoints:GatewayPort"] = AppProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Consistency:TokenSigningKey"] = Deployment.SigningKey,
            ["Consistency:Mode"] = eventual ? "Eventual" : "Lsn",
        });
        foreach (var key in settings.Keys.Where(k => k.StartsWith("Database:", StringComparison.Ordinal)).ToList())
        {
            settings[key] = settings[key]?.Replace("Database=orleansraw", "Database=conduit", StringComparison.Ordinal);
        }

        return settings;
    }

    private sealed record Registered(string Username, string Email, string Token);

    private sealed record Answer(HttpStatusCode Status, JsonNode? Json, string? Source);

    // Per flow: how many of its reads missed the write just before them, and how many ran on a replica.
    private sealed class StaleCounts
    {
        private readonly Dictionary<string, (int Stale, int OnReplicas)> _flows = Flows.ToDictionary(f => f, _ => (0, 0));

        public int Total => _flows.Values.Sum(f => f.Stale);

        public void Note(string flow, bool stale, Answer read)
        {
            var (s, r) = _flows[flow];
            _flows[flow] = (s + (stale ? 1 : 0), r + (read.Source?.StartsWith("replica:", StringComparison.Ordinal) == true ? 1 : 0));
        }

        public override string ToString() =>
            $"{Total}/{Rounds * Flows.Length} stale (" + string.Join(", ", _flows.Select(f => $"{f.Key} {f.Value.Stale} stale, {f.Value.OnReplicas} on replicas")) + ")";
    }

    /// <summary>
    /// Packs the libraries into the local feed under a version of this run's own (so no cached package of the same
    /// version can stand in for it), then builds the sample against that version, once.
    /// </summary>
    public sealed class SampleBuild : IAsyncLifetime
    {
        public string App { get; private set; } = "";

        public async Task InitializeAsync()
        {
            var root = RepoPaths.Root;
            var version = $"0.5.0-conduit.{DateTime.UtcNow:yyyyMMddHHmmss}";
            var feed = Path.Combine(root, ".data", "packages");
            Directory.CreateDirectory(feed);
            foreach (var old in Directory.EnumerateFiles(feed, "OrleansRaw.*-conduit.*"))
            {
                File.Delete(old);
            }

            await RunAsync(Path.Combine(root, "scripts", "pack"), ["--no-build", "--version", version], root);
            var outputDir = Path.Combine(root, ".data", "samples", "Conduit");
            await RunAsync("dotnet", ["build", Path.Combine(root, "samples", "Conduit", "Conduit.csproj"), "-c", "Release", "-o", outputDir,
                "-nologo", "-v", "quiet", $"-p:OrleansRawVersion={version}"], root);
            App = Path.Combine(outputDir, "Conduit.dll");
        }

        public Task DisposeAsync() => Task.CompletedTask;

        private static async Task RunAsync(string file, string[] arguments, string directory)
        {
            var (exitCode, text) = await AppProcess.RunAsync(file, arguments, directory, TimeSpan.FromMinutes(5));
            Assert.True(exitCode == 0, $"$ {Path.GetFileName(file)} {string.Join(' ', arguments)} -> {exitCode}\n{text}");
        }
    }
}
