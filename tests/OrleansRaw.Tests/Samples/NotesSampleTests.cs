using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Samples;

/// <summary>
/// samples/Notes and samples/Notes.Silo, built as an outside app would build them: from the packed packages in a local
/// folder feed, not from the projects, and run as their own processes (no repository host) against the test databases,
/// in both packaged shapes: an app with a silo process of its own, and an app that is also its silo. Users sign in with
/// JwtBearer as ASP.NET Core sets it up by default.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class NotesSampleTests(SystemFixture fixture, NotesSampleTests.SampleBuild build, ITestOutputHelper output)
    : IClassFixture<NotesSampleTests.SampleBuild>
{
    private const int Rounds = 25;
    private static readonly TimeSpan Lag = TimeSpan.FromMilliseconds(300);

    // The bearer settings an operator would give the app (Authentication:Schemes:Bearer); the sample's /dev/token signs
    // with them, and the tests sign their odd tokens with them too.
    private const string BearerIssuer = "notes-sample-tests";
    private const string BearerAudience = "notes-sample";
    private static readonly string BearerKey = Convert.ToBase64String("tests-only-notes-sample-jwt-key-0123456789abcdef"u8);

    // The users' ids, as a sign-in names them. Numeric until the library takes any string id (i24-ids); then
    // Guid.NewGuid().ToString().
    private static string NewUserId() => Guid.NewGuid().ToString();

    [Fact]
    public async Task NotesSample_WithItsOwnSilo_BuiltFromThePackages_NeverReadsItsOwnNoteStale_At300MsLag_WhereEventualDoes()
    {
        var settings = Settings();
        await using var silo = await StartSiloAsync(settings);
        await using var routed = AppProcess.Start(build.App, settings);
        await using var eventual = AppProcess.Start(build.App, new Dictionary<string, string?>(settings) { ["Consistency:Mode"] = "Eventual" });

        await ProveReadYourWritesAsync(routed, eventual);
    }

    [Fact]
    public async Task NotesSample_CoHosted_BuiltFromThePackages_NeverReadsItsOwnNoteStale_At300MsLag_WhereEventualDoes()
    {
        // Each app is a one-silo cluster of its own: silos of one cluster share their Consistency settings.
        await using var routed = AppProcess.Start(build.App, CoHosted(Settings()));
        await using var eventual = AppProcess.Start(build.App, CoHosted(Settings(new() { ["Consistency:Mode"] = "Eventual" })));

        await ProveReadYourWritesAsync(routed, eventual);
    }

    [Fact]
    public async Task NotesSample_SignedInWithoutAnIdClaim_FailsNamingConsistencyUserIdClaim()
    {
        await using var app = AppProcess.Start(build.App, CoHosted(Settings()));
        using var http = new HttpClient { BaseAddress = app.Address };
        await WaitForReplicaReadsAsync(http, app);

        using var get = new HttpRequestMessage(HttpMethod.Get, "/notes");
        get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SignedToken(new Dictionary<string, object> { ["name"] = "no id here" }));
        using var read = await http.SendAsync(get);

        Assert.False(read.IsSuccessStatusCode);
        Assert.Contains("Consistency:UserIdClaim", await read.Content.ReadAsStringAsync() + app.Output, StringComparison.Ordinal);
    }

    private async Task ProveReadYourWritesAsync(AppProcess routed, AppProcess eventual)
    {
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

    // Signs in as a new user, posts a note and reads the user's notes at once, Rounds times.
    private static async Task<(int Stale, int OnReplicas)> StaleOwnReadsAsync(HttpClient http)
    {
        var stale = 0;
        var onReplicas = 0;
        for (var i = 0; i < Rounds; i++)
        {
            var user = NewUserId();
            var token = await DevTokenAsync(http, user);
            using var post = new HttpRequestMessage(HttpMethod.Post, "/notes") { Content = JsonContent.Create(new { text = $"note {i}" }) };
            post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var posted = await http.SendAsync(post);
            Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
            var note = await posted.Content.ReadFromJsonAsync<Note>();
            Assert.Equal(user, note!.UserId);

            using var get = new HttpRequestMessage(HttpMethod.Get, "/notes");
            get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var read = await http.SendAsync(get);
            read.EnsureSuccessStatusCode();
            var notes = await read.Content.ReadFromJsonAsync<List<Note>>();
            stale += notes!.Any(n => n.Id == note.Id) ? 0 : 1;
            onReplicas += read.Headers.TryGetValues("X-Read-Source", out var source) && source.Single().StartsWith("replica:", StringComparison.Ordinal) ? 1 : 0;
        }

        return (stale, onReplicas);
    }

    // As a developer signs in to the sample: POST /dev/token, mapped in Development only.
    private static async Task<string> DevTokenAsync(HttpClient http, string user)
    {
        using var response = await http.PostAsJsonAsync("/dev/token", new { user });
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    // Until the app has its first replica snapshot, every read goes to the primary (safe, but it proves nothing).
    private static async Task WaitForReplicaReadsAsync(HttpClient http, AppProcess app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && !app.HasExited)
        {
            try
            {
                using var get = new HttpRequestMessage(HttpMethod.Get, "/notes");
                get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await DevTokenAsync(http, NewUserId()));
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

    private async Task<AppProcess> StartSiloAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var silo = AppProcess.Start(build.Silo, settings);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (silo.LinesContaining("Application started").Count == 0)
        {
            if (silo.HasExited || DateTime.UtcNow > deadline)
            {
                await silo.DisposeAsync();
                throw new TimeoutException("the Notes.Silo never started:\n" + silo.Output);
            }

            await Task.Delay(100);
        }

        return silo;
    }

    // One cluster of the sample's own (ids and ports), on the test databases, signing in with the tests' bearer key.
    private static Dictionary<string, string?> Settings(Dictionary<string, string?>? overrides = null)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var settings = Deployment.BaseSettings(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Orleans:ClusterId"] = "notes-" + id,
            ["Orleans:ServiceId"] = "notes-" + id,
            ["Orleans:Endpoints:SiloPort"] = AppProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Orleans:Endpoints:GatewayPort"] = AppProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Consistency:TokenSigningKey"] = Deployment.SigningKey,
            // JwtBearer maps sub to ClaimTypes.NameIdentifier; until CallerIds falls back to it by itself (i24-ids), name it.
            ["Authentication:Schemes:Bearer:ValidIssuer"] = BearerIssuer,
            ["Authentication:Schemes:Bearer:ValidAudience"] = BearerAudience,
            ["Authentication:Schemes:Bearer:SigningKeys:0:Issuer"] = BearerIssuer,
            ["Authentication:Schemes:Bearer:SigningKeys:0:Value"] = BearerKey,
        });
        foreach (var (key, value) in overrides ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    private static Dictionary<string, string?> CoHosted(Dictionary<string, string?> settings)
    {
        settings["Notes:CoHosted"] = "true";
        return settings;
    }

    private static string SignedToken(Dictionary<string, object> claims) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = BearerIssuer,
        Audience = BearerAudience,
        Claims = claims,
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Convert.FromBase64String(BearerKey)), SecurityAlgorithms.HmacSha256),
    });

    private sealed record Note(long Id, string UserId, string Text);

    /// <summary>
    /// Packs the libraries into the local feed under a version of this run's own (so no cached package of the same
    /// version can stand in for it), then builds the sample app and the sample silo against that version, once.
    /// </summary>
    public sealed class SampleBuild : IAsyncLifetime
    {
        public string App { get; private set; } = "";

        public string Silo { get; private set; } = "";

        public async Task InitializeAsync()
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
            App = await BuildAsync(root, "Notes", version);
            Silo = await BuildAsync(root, "Notes.Silo", version);
        }

        public Task DisposeAsync() => Task.CompletedTask;

        private static async Task<string> BuildAsync(string root, string sample, string version)
        {
            var outputDir = Path.Combine(root, ".data", "samples", sample);
            await RunAsync("dotnet", ["build", Path.Combine(root, "samples", sample, sample + ".csproj"), "-c", "Release", "-o", outputDir,
                "-nologo", "-v", "quiet", $"-p:OrleansRawVersion={version}"], root);
            return Path.Combine(outputDir, sample + ".dll");
        }

        private static async Task RunAsync(string file, string[] arguments, string directory)
        {
            var (exitCode, text) = await AppProcess.RunAsync(file, arguments, directory, TimeSpan.FromMinutes(5));
            Assert.True(exitCode == 0, $"$ {Path.GetFileName(file)} {string.Join(' ', arguments)} -> {exitCode}\n{text}");
        }
    }
}
