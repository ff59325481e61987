using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansRaw.ReadYourWrites;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Library;

/// <summary>
/// An app that is not the demo, built only from the library's public surface on the shared test cluster: MVC
/// attributes route and record like the endpoint conventions, and background work hands a write off with its token
/// and reads as of it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class LibraryAppTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const int Rounds = 25;
    private static readonly TimeSpan Lag = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task MvcAttributes_OwnReadRightAfterAWrite_IsNeverStale_At300MsLag_WhereAnAnonymousReadIs()
    {
        await using var app = await StartAppAsync();
        using var http = app.Client;
        await fixture.Db.SetLagAsync(Lag);
        try
        {
            int ownStale = 0, feedStale = 0, anonymousStale = 0, onReplicas = 0;
            for (var i = 0; i < Rounds; i++)
            {
                var user = TestUsers.NewId();
                using var posted = await http.SendAsync(As(user, HttpMethod.Post, "/mvc/notes", new { text = $"mvc {i}" }));
                Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
                Assert.True(posted.Headers.Contains("X-Consistency-Token"), "a recorded write answers with a consistency token");
                var note = (await posted.Content.ReadFromJsonAsync<LibraryNotesController.Note>())!;

                using var anonymous = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/mvc/notes/of/{user}"));
                anonymousStale += (await anonymous.Content.ReadFromJsonAsync<List<LibraryNotesController.Note>>())!.Any(n => n.Id == note.Id) ? 0 : 1;

                using var feed = await http.SendAsync(As(user, HttpMethod.Get, "/mvc/notes/all"));
                feedStale += (await feed.Content.ReadFromJsonAsync<List<LibraryNotesController.Note>>())!.Any(n => n.Id == note.Id) ? 0 : 1;

                using var own = await http.SendAsync(As(user, HttpMethod.Get, "/mvc/notes"));
                own.EnsureSuccessStatusCode();
                ownStale += (await own.Content.ReadFromJsonAsync<List<LibraryNotesController.Note>>())!.Any(n => n.Id == note.Id) ? 0 : 1;
                onReplicas += own.Headers.GetValues("X-Read-Source").Single().StartsWith("replica:", StringComparison.Ordinal) ? 1 : 0;
            }

            output.WriteLine($"at {Lag.TotalMilliseconds} ms: own reads {ownStale}/{Rounds} stale ({onReplicas} on replicas), "
                + $"the feed {feedStale}/{Rounds}, anonymous reads of the user's notes {anonymousStale}/{Rounds}");
            Assert.True(anonymousStale > 0, "the lag was not real: every anonymous read saw the note");
            Assert.Equal(0, ownStale);
            Assert.Equal(0, feedStale);
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task HandedOffWrite_ReadInTheBackgroundAsOfItsToken_IsNeverStale_WhereAReadWithoutItIs()
    {
        await using var app = await StartAppAsync();
        using var http = app.Client;
        var reads = app.Services.GetRequiredService<ConsistentReads>();
        await fixture.Db.SetLagAsync(Lag);
        try
        {
            int asOfStale = 0, naiveStale = 0;
            for (var i = 0; i < Rounds; i++)
            {
                var user = TestUsers.NewId();
                using var posted = await http.SendAsync(As(user, HttpMethod.Post, "/minimal/notes", new { text = $"minimal {i}" }));
                Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
                var id = await posted.Content.ReadFromJsonAsync<long>();
                Assert.True(app.HandOffs.TryRemove(user, out var write), "the hand-off hook heard of the write before its response");

                // A job elsewhere gets (user, token) and reads; the naive one reads as no one in particular.
                naiveStale += await reads.ReadAsOfAsync(null, user, db => SeesAsync(db, id)) ? 0 : 1;
                asOfStale += await reads.ReadAsOfTokenAsync(write.Token, user, db => SeesAsync(db, id)) ? 0 : 1;
            }

            output.WriteLine($"at {Lag.TotalMilliseconds} ms: as of the token {asOfStale}/{Rounds} stale, without it {naiveStale}/{Rounds}");
            Assert.True(naiveStale > 0, "the lag was not real: every read without the token saw the note");
            Assert.Equal(0, asOfStale);
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }

        await Assert.ThrowsAsync<ArgumentException>(() => reads.ReadAsOfTokenAsync("forged.token", 1, db => SeesAsync(db, 0)));
    }

    [Fact]
    public async Task SignUp_WritesNewUserData_IsRecordedForTheUserItSignsIn_AndReadsFromPrimary_SeeItAnonymously_At300MsLag()
    {
        await using var app = await StartAppAsync();
        using var http = app.Client;
        await fixture.Db.SetLagAsync(Lag);
        try
        {
            int ownStale = 0, credentialsStale = 0, anonymousStale = 0;
            for (var i = 0; i < Rounds; i++)
            {
                // Not signed in: the handler signs the new user in, and the write is recorded as theirs.
                var user = TestUsers.NewId();
                using var signedUp = await http.PostAsJsonAsync("/minimal/signup", new { user, text = $"signup {i}" });
                Assert.Equal(HttpStatusCode.Created, signedUp.StatusCode);
                Assert.True(app.HandOffs.TryRemove(user, out _), "the sign-up's write was recorded for the user it signed in");
                var id = await signedUp.Content.ReadFromJsonAsync<long>();

                // A sign-in right after it reads the credentials on the primary, though no one is signed in yet.
                using var credentials = await http.GetAsync($"/minimal/credentials/{id}");
                credentialsStale += await credentials.Content.ReadFromJsonAsync<bool>() ? 0 : 1;
                Assert.Equal(ReadSources.Primary, credentials.Headers.GetValues(ConsistencyHeaders.ReadSource).Single());

                using var anonymous = await http.GetAsync($"/mvc/notes/of/{user}");
                anonymousStale += (await anonymous.Content.ReadFromJsonAsync<List<LibraryNotesController.Note>>())!.Any(n => n.Id == id) ? 0 : 1;

                using var own = await http.SendAsync(As(user, HttpMethod.Get, "/mvc/notes"));
                ownStale += (await own.Content.ReadFromJsonAsync<List<LibraryNotesController.Note>>())!.Any(n => n.Id == id) ? 0 : 1;
            }

            output.WriteLine($"at {Lag.TotalMilliseconds} ms: the new user's own reads {ownStale}/{Rounds} stale, "
                + $"credentials read from the primary {credentialsStale}/{Rounds}, anonymous reads of their notes {anonymousStale}/{Rounds}");
            Assert.True(anonymousStale > 0, "the lag was not real: every anonymous read saw the note");
            Assert.Equal(0, ownStale);
            Assert.Equal(0, credentialsStale);

            // A sign-up that wrote and succeeded without signing anyone in is an error, not a write recorded for no one.
            using var forgot = await http.PostAsJsonAsync("/minimal/signup-forgetful", new { user = TestUsers.NewId(), text = "lost" });
            Assert.Equal(HttpStatusCode.InternalServerError, forgot.StatusCode);
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task OpenApiDocument_OfAnAppOfItsOwn_DocumentsTheContract_OnMvcActionsAndMinimalEndpoints()
    {
        await using var app = await StartAppAsync();
        using var document = JsonDocument.Parse(await app.Client.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");

        var read = paths.GetProperty("/mvc/notes").GetProperty("get");
        Assert.Subset(ParameterRefs(read), new HashSet<string> { "X-Consistency-Token", "X-Read-Consistency", "consistency" });
        Assert.Subset(HeaderNames(read.GetProperty("responses").GetProperty("200")), new HashSet<string> { "X-Read-Source", "X-Consistency-Reason", "X-Consistency-Token" });
        Assert.Contains("Retry-After", HeaderNames(read.GetProperty("responses").GetProperty("429")));

        // An MVC action ignores Idempotency-Key, so its document does not offer one; the minimal endpoint's does.
        var mvcWrite = paths.GetProperty("/mvc/notes").GetProperty("post");
        Assert.Empty(ParameterRefs(mvcWrite));
        Assert.Contains("X-Consistency-Token", HeaderNames(mvcWrite.GetProperty("responses").EnumerateObject().Single(r => r.Name.StartsWith('2')).Value));
        Assert.Contains("Retry-After", HeaderNames(mvcWrite.GetProperty("responses").GetProperty("503")));
        var minimalWrite = paths.GetProperty("/minimal/notes").GetProperty("post");
        Assert.Equal(["Idempotency-Key"], ParameterRefs(minimalWrite));
        Assert.True(minimalWrite.GetProperty("responses").TryGetProperty("422", out _));

        // Every schema, parameter and header referenced is in the document's components.
        var components = document.RootElement.GetProperty("components");
        Assert.True(components.GetProperty("schemas").TryGetProperty("ProblemDetails", out _));
        Assert.Equal(["Idempotency-Key", "X-Consistency-Token", "X-Read-Consistency", "consistency"],
            components.GetProperty("parameters").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    private static HashSet<string> ParameterRefs(JsonElement operation) =>
        operation.TryGetProperty("parameters", out var parameters)
            ? parameters.EnumerateArray().Where(p => p.TryGetProperty("$ref", out _))
                .Select(p => p.GetProperty("$ref").GetString()!.Split('/')[^1]).ToHashSet()
            : [];

    private static HashSet<string> HeaderNames(JsonElement response) =>
        response.TryGetProperty("headers", out var headers) ? headers.EnumerateObject().Select(h => h.Name).ToHashSet() : [];

    private static async Task<bool> SeesAsync(RoutedDatabase db, long noteId) =>
        (await db.QueryAsync<long>("SELECT id FROM library_notes WHERE id = @noteId", new { noteId }, CancellationToken.None)).Count == 1;

    private static HttpRequestMessage As(long user, HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("X-User-Id", user.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return request;
    }

    private async Task<LibraryApp> StartAppAsync()
    {
        await using (var connection = await fixture.Db.Primary.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS library_notes (id bigserial PRIMARY KEY, user_id bigint NOT NULL, text text NOT NULL)");
        }

        await fixture.Db.WaitForReplicasToCatchUpAsync();
        var app = await LibraryApp.StartAsync(fixture.Default);
        await app.WaitForReplicaReadsAsync();
        return app;
    }

    private sealed record SignUp(long User, string Text);

    /// <summary>The app: AddReadYourWrites, one controller, one minimal endpoint, a hand-off handler; callers named by a header.</summary>
    private sealed class LibraryApp : IAsyncDisposable, IWriteRecordedHandler
    {
        private WebApplication _app = null!;

        public ConcurrentDictionary<long, RecordedWrite> HandOffs { get; } = new();

        public HttpClient Client => _app.GetTestClient();

        public IServiceProvider Services => _app.Services;

        public Task OnRecordedAsync(RecordedWrite write, CancellationToken cancellationToken)
        {
            HandOffs[write.UserId] = write;
            return Task.CompletedTask;
        }

        public static async Task<LibraryApp> StartAsync(Deployment deployment)
        {
            var handler = new LibraryApp();
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
            builder.WebHost.UseTestServer();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(deployment.Settings)
            {
                ["Consistency:TokenSigningKey"] = Deployment.SigningKey,
            });
            builder.Services.AddSingleton<IGrainFactory>(deployment.Cluster.Client);
            builder.Services.AddReadYourWrites(builder.Configuration);
            builder.Services.AddSingleton<IWriteRecordedHandler>(handler);
            builder.Services.AddControllers().AddApplicationPart(typeof(LibraryNotesController).Assembly);
            builder.Services.AddOpenApi(options => options.AddReadYourWritesContract());

            var app = builder.Build();
            app.Use((http, next) =>
            {
                if (long.TryParse(http.Request.Headers["X-User-Id"], out var id))
                {
                    http.User = LibraryNotesController.Caller(id);
                }

                return next(http);
            });
            app.MapControllers();
            app.MapOpenApi();
            app.MapPost("/minimal/notes", async (LibraryNotesController.NewNote note, HttpContext http, CallerIds callers, RoutedDatabase db, CancellationToken ct) =>
                TypedResults.Created("/minimal/notes", (await db.WriteAsync<long>("INSERT INTO library_notes (user_id, text) VALUES (@userId, @text) RETURNING id",
                    new { userId = callers.Of(http.User), text = note.Text }, ct)).Single())).WritesCallerData();
            app.MapPost("/minimal/signup", async (SignUp signUp, HttpContext http, RoutedDatabase db, CancellationToken ct) =>
            {
                var id = await AddNoteAsync(db, signUp, ct);
                http.User = LibraryNotesController.Caller(signUp.User);
                return TypedResults.Created("/minimal/notes", id);
            }).WritesNewUserData();
            app.MapPost("/minimal/signup-forgetful", async (SignUp signUp, RoutedDatabase db, CancellationToken ct) =>
                TypedResults.Created("/minimal/notes", await AddNoteAsync(db, signUp, ct))).WritesNewUserData();
            app.MapGet("/minimal/credentials/{id:long}", async (long id, RoutedDatabase db, CancellationToken ct) => await SeesAsync(db, id)).ReadsFromPrimary();
            await app.StartAsync();
            handler._app = app;
            return handler;
        }

        private static async Task<long> AddNoteAsync(RoutedDatabase db, SignUp signUp, CancellationToken ct) =>
            (await db.WriteAsync<long>("INSERT INTO library_notes (user_id, text) VALUES (@User, @Text) RETURNING id", signUp, ct)).Single();

        // Until the app has its first replica snapshot, every read goes to the primary (safe, but it proves nothing).
        public async Task WaitForReplicaReadsAsync()
        {
            using var http = Client;
            for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(100))
            {
                using var read = await http.SendAsync(As(1, HttpMethod.Get, "/mvc/notes/of/1"));
                if (read.IsSuccessStatusCode && read.Headers.GetValues("X-Read-Source").Single().StartsWith("replica:", StringComparison.Ordinal))
                {
                    return;
                }
            }

            throw new TimeoutException("the library app never read from a replica");
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
