using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
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
    private const string SecretName = "Ada Lovelace";
    private const string SecretEmail = "ada@example.com";
    private static readonly TimeSpan Lag = TimeSpan.FromMilliseconds(300);

    [Theory]
    [InlineData("numeric")]
    [InlineData("guid")]
    [InlineData("identity-style")]
    public async Task MvcAttributes_OwnReadRightAfterAWrite_IsNeverStale_At300MsLag_WhereAnAnonymousReadIs(string ids)
    {
        await using var app = await StartAppAsync();
        using var http = app.Client;
        await fixture.Db.SetLagAsync(Lag);
        try
        {
            int ownStale = 0, feedStale = 0, anonymousStale = 0, onReplicas = 0;
            for (var i = 0; i < Rounds; i++)
            {
                var user = NewUser(ids);
                using var posted = await http.SendAsync(As(user, HttpMethod.Post, "/mvc/notes", new { text = $"mvc {i}" }));
                Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
                Assert.True(posted.Headers.Contains("X-Consistency-Token"), "a recorded write answers with a consistency token");
                var note = (await posted.Content.ReadFromJsonAsync<LibraryNotesController.Note>())!;

                using var anonymous = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/mvc/notes/of/{Uri.EscapeDataString(user)}"));
                anonymousStale += (await anonymous.Content.ReadFromJsonAsync<List<LibraryNotesController.Note>>())!.Any(n => n.Id == note.Id) ? 0 : 1;

                using var feed = await http.SendAsync(As(user, HttpMethod.Get, "/mvc/notes/all"));
                feedStale += (await feed.Content.ReadFromJsonAsync<List<LibraryNotesController.Note>>())!.Any(n => n.Id == note.Id) ? 0 : 1;

                using var own = await http.SendAsync(As(user, HttpMethod.Get, "/mvc/notes"));
                own.EnsureSuccessStatusCode();
                ownStale += (await own.Content.ReadFromJsonAsync<List<LibraryNotesController.Note>>())!.Any(n => n.Id == note.Id) ? 0 : 1;
                onReplicas += own.Headers.GetValues("X-Read-Source").Single().StartsWith("replica:", StringComparison.Ordinal) ? 1 : 0;
            }

            output.WriteLine($"{ids} user ids at {Lag.TotalMilliseconds} ms: own reads {ownStale}/{Rounds} stale ({onReplicas} on replicas), "
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
                var user = NewUser(i % 2 == 0 ? "guid" : "identity-style");
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

        await Assert.ThrowsAsync<ArgumentException>(() => reads.ReadAsOfTokenAsync("forged.token", "1", db => SeesAsync(db, 0)));
    }

    [Fact]
    public async Task ACallerWhoseIdIsInNameIdentifierOnly_AsJwtBearerMapsSub_IsThatUser()
    {
        await using var app = await StartAppAsync();
        using var http = app.Client;
        var tokens = app.Services.GetRequiredService<ConsistencyTokens>();
        var user = TestUsers.NewKey();

        using var posted = await http.SendAsync(As(user, HttpMethod.Post, "/mvc/notes", new { text = "mapped" }, ClaimTypes.NameIdentifier));
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        Assert.Equal(user, (await posted.Content.ReadFromJsonAsync<LibraryNotesController.Note>())!.UserId);
        Assert.True(tokens.TryRead(posted.Headers.GetValues("X-Consistency-Token").Single(), user, out _, out var error), error);

        using var own = await http.SendAsync(As(user, HttpMethod.Get, "/mvc/notes", claimType: ClaimTypes.NameIdentifier));
        own.EnsureSuccessStatusCode();
        Assert.Single((await own.Content.ReadFromJsonAsync<List<LibraryNotesController.Note>>())!);
        Assert.True(tokens.TryRead(own.Headers.GetValues("X-Consistency-Token").Single(), user, out _, out error), error);
    }

    [Theory]
    [InlineData("GET", "/mvc/notes")]
    [InlineData("GET", "/mvc/notes/all")]
    [InlineData("POST", "/mvc/notes")]
    [InlineData("POST", "/minimal/notes")]
    public async Task ASignedInCallerWithNoIdClaim_IsAnErrorNamingTheSetting_NeverAnAnonymousCaller(string method, string path)
    {
        await using var app = await StartAppAsync();
        using var http = app.Client;
        var before = await CountNotesAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? JsonContent.Create(new { text = "who?" }) : null };
        request.Headers.Add("X-Signed-In-Without-Id", "1");
        using var response = await http.SendAsync(request);

        var problem = await ProblemResponse.AssertAsync(response, HttpStatusCode.InternalServerError);
        Assert.Equal("The server cannot tell who the caller is", problem.GetProperty("title").GetString());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("Consistency:UserIdClaim", detail, StringComparison.Ordinal);
        Assert.Contains("'sub'", detail, StringComparison.Ordinal);
        var body = problem.GetRawText();
        Assert.DoesNotContain(SecretName, body, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretEmail, body, StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("X-Read-Source"), "the read ran");
        Assert.Equal(before, await CountNotesAsync());
    }

    [Theory]
    [InlineData("/mvc/notes")]
    [InlineData("/minimal/notes")]
    public async Task AnAnonymousDeclaredWrite_IsRefused401_AndWritesNothing(string path)
    {
        await using var app = await StartAppAsync();
        using var http = app.Client;
        var before = await CountNotesAsync();
        using var response = await http.PostAsJsonAsync(path, new { text = "anonymous" });

        var problem = await ProblemResponse.AssertAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("signed-in user", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("X-Consistency-Token"));
        Assert.Equal(before, await CountNotesAsync());
    }

    [Fact]
    public async Task AKeyedWrite_InAnAppThatAddedNoPipelineStep_RunsOnce_AndItsRetryReplaysTheOutcome()
    {
        // The app calls no Use... method of the library: AddReadYourWrites buffers keyed bodies itself.
        await using var app = await StartAppAsync();
        using var http = app.Client;
        var user = TestUsers.NewKey();
        var key = Guid.NewGuid().ToString();
        var before = await CountNotesAsync();

        using var first = As(user, HttpMethod.Post, "/minimal/notes", new { text = "keyed" });
        first.Headers.Add("Idempotency-Key", key);
        using var created = await http.SendAsync(first);
        using var again = As(user, HttpMethod.Post, "/minimal/notes", new { text = "keyed" });
        again.Headers.Add("Idempotency-Key", key);
        using var replayed = await http.SendAsync(again);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Created, replayed.StatusCode);
        Assert.Equal(await created.Content.ReadAsStringAsync(), await replayed.Content.ReadAsStringAsync());
        Assert.Equal(before + 1, await CountNotesAsync());
    }

    [Fact]
    public async Task InvalidUserIds_FromClients_AreAnswered400Or401_WithAProblem_NeverRead()
    {
        await using var app = await StartAppAsync();
        using var http = app.Client;
        string[] invalid = [" 42", "42 ", "4\u00012", "4\n2", new string('7', UserIds.MaxLength + 1)];
        foreach (var id in invalid)
        {
            foreach (var path in new[] { "/mvc/notes/of/", "/minimal/notes/of/" })
            {
                // A route value is the client's word: 400, before any grain or query sees it.
                using var anonymous = await http.GetAsync(path + Uri.EscapeDataString(id));
                var problem = await ProblemResponse.AssertAsync(anonymous, HttpStatusCode.BadRequest);
                Assert.Equal("Invalid user id", problem.GetProperty("title").GetString());
                Assert.False(anonymous.Headers.Contains("X-Read-Source"), "the read ran");
            }

            // The caller's own claim holds it: not a usable sign-in.
            using var own = await http.SendAsync(As(id, HttpMethod.Get, "/mvc/notes"));
            await ProblemResponse.AssertAsync(own, HttpStatusCode.Unauthorized);
            using var write = await http.SendAsync(As(id, HttpMethod.Post, "/minimal/notes", new { text = "invalid" }));
            await ProblemResponse.AssertAsync(write, HttpStatusCode.Unauthorized);
        }

        // A consistency token of another user, whose id only extends the reader's, is refused too.
        var owner = "1" + TestUsers.NewKey();
        var reader = owner[..^1];
        var token = app.Services.GetRequiredService<ConsistencyTokens>().Issue(owner, WalPosition.Zero);
        using var foreign = As(reader, HttpMethod.Get, "/mvc/notes");
        foreign.Headers.Add("X-Consistency-Token", token);
        using var foreignRead = await http.SendAsync(foreign);
        var refused = await ProblemResponse.AssertAsync(foreignRead, HttpStatusCode.BadRequest);
        Assert.Contains("another user", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private async Task<long> CountNotesAsync()
    {
        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM library_notes");
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
                var user = TestUsers.NewKey();
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
            using var forgot = await http.PostAsJsonAsync("/minimal/signup-forgetful", new { user = TestUsers.NewKey(), text = "lost" });
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

    [Fact]
    public async Task DataSourcesTheAppRegistered_ServeItsWritesAndReplicaReads_AndOwnReadsSeeTheWrites()
    {
        var opened = new ConcurrentDictionary<string, int>();
        await using var app = await StartAppAsync(builder => UseAppDataSources(builder, opened));
        using var http = app.Client;
        for (var i = 0; i < 5; i++)
        {
            var user = TestUsers.NewKey();
            using var posted = await http.SendAsync(As(user, HttpMethod.Post, "/mvc/notes", new { text = $"di {i}" }));
            Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
            var note = (await posted.Content.ReadFromJsonAsync<LibraryNotesController.Note>())!;
            using var own = await http.SendAsync(As(user, HttpMethod.Get, "/mvc/notes"));
            own.EnsureSuccessStatusCode();
            Assert.Contains((await own.Content.ReadFromJsonAsync<List<LibraryNotesController.Note>>())!, n => n.Id == note.Id);
        }

        output.WriteLine("physical connections opened: " + string.Join(", ", opened.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}")));
        Assert.True(opened.GetValueOrDefault("app-primary") > 0, "the writes ran on the app's primary data source");
        Assert.Contains(opened, o => o.Key.StartsWith("app-replica-", StringComparison.Ordinal) && o.Value > 0);
    }

    // Database:PrimaryDataSource and Replicas:N:DataSource in place of the connection strings, naming keyed data
    // sources the app built itself (as Aspire's AddKeyedNpgsqlDataSource does), each counting its physical connections.
    private static void UseAppDataSources(WebApplicationBuilder builder, ConcurrentDictionary<string, int> opened)
    {
        var database = builder.Configuration.GetSection("Database");
        var overrides = new Dictionary<string, string?> { ["Database:Primary"] = "", ["Database:PrimaryDataSource"] = "app-primary" };
        Register("app-primary", database["Primary"]!);
        foreach (var replica in database.GetSection("Replicas").GetChildren())
        {
            overrides[$"Database:Replicas:{replica.Key}:ConnectionString"] = "";
            overrides[$"Database:Replicas:{replica.Key}:DataSource"] = $"app-replica-{replica.Key}";
            Register($"app-replica-{replica.Key}", replica["ConnectionString"]!);
        }

        builder.Configuration.AddInMemoryCollection(overrides);

        void Register(string key, string connectionString) =>
            builder.Services.AddKeyedSingleton(key, (_, _) => new Npgsql.NpgsqlDataSourceBuilder(connectionString)
                .UsePhysicalConnectionInitializer(
                    _ => opened.AddOrUpdate(key, 1, (_, n) => n + 1),
                    _ =>
                    {
                        opened.AddOrUpdate(key, 1, (_, n) => n + 1);
                        return Task.CompletedTask;
                    })
                .Build());
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

    // Numeric ids as an app keyed by integers has them; GUIDs as ASP.NET Identity makes them; and any other string an
    // identity provider may use, with characters a naive token format or route would trip on.
    private static string NewUser(string kind) => kind switch
    {
        "numeric" => TestUsers.Key(TestUsers.NewId()),
        "guid" => TestUsers.NewKey(),
        "identity-style" => $"zoë.o'brien+{Guid.NewGuid():N}@example.com|1 2",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>A request of the signed-in <paramref name="user"/>, whose id the app finds in the claim <paramref name="claimType"/>.</summary>
    private static HttpRequestMessage As(string user, HttpMethod method, string path, object? body = null, string claimType = "sub")
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("X-User-Id", Uri.EscapeDataString(user));
        request.Headers.Add("X-Id-Claim", claimType);
        return request;
    }

    private async Task<LibraryApp> StartAppAsync(Action<WebApplicationBuilder>? configure = null)
    {
        await using (var connection = await fixture.Db.Primary.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                CREATE TABLE IF NOT EXISTS library_notes (id bigserial PRIMARY KEY, user_id text NOT NULL, text text NOT NULL);
                ALTER TABLE library_notes ALTER COLUMN user_id TYPE text;
                """);
        }

        await fixture.Db.WaitForReplicasToCatchUpAsync();
        var app = await LibraryApp.StartAsync(fixture.Default, configure);
        await app.WaitForReplicaReadsAsync();
        return app;
    }

    private sealed record SignUp(string User, string Text);

    /// <summary>The app: AddReadYourWrites, one controller, one minimal endpoint, a hand-off handler; callers named by a header.</summary>
    private sealed class LibraryApp : IAsyncDisposable, IWriteRecordedHandler
    {
        private WebApplication _app = null!;

        public ConcurrentDictionary<string, RecordedWrite> HandOffs { get; } = new();

        public HttpClient Client => _app.GetTestClient();

        public IServiceProvider Services => _app.Services;

        public Task OnRecordedAsync(RecordedWrite write, CancellationToken cancellationToken)
        {
            HandOffs[write.UserId] = write;
            return Task.CompletedTask;
        }

        public static async Task<LibraryApp> StartAsync(Deployment deployment, Action<WebApplicationBuilder>? configure)
        {
            var handler = new LibraryApp();
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
            builder.WebHost.UseTestServer();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(deployment.Settings)
            {
                ["Consistency:TokenSigningKey"] = Deployment.SigningKey,
            });
            configure?.Invoke(builder);
            builder.Services.AddSingleton<IGrainFactory>(deployment.Cluster.Client);
            builder.Services.AddReadYourWrites(builder.Configuration);
            builder.Services.AddSingleton<IWriteRecordedHandler>(handler);
            builder.Services.AddControllers().AddApplicationPart(typeof(LibraryNotesController).Assembly);
            builder.Services.AddOpenApi(options => options.AddReadYourWritesContract());

            var app = builder.Build();
            // Stands for an app's authentication: the caller's id (URL-escaped, so any text travels) in the claim a
            // header names; or a signed-in caller whose claims hold no id at all.
            app.Use((http, next) =>
            {
                if (http.Request.Headers["X-User-Id"].FirstOrDefault() is { } id)
                {
                    http.User = LibraryNotesController.Caller(Uri.UnescapeDataString(id), http.Request.Headers["X-Id-Claim"].FirstOrDefault() ?? "sub");
                }
                else if (http.Request.Headers.ContainsKey("X-Signed-In-Without-Id"))
                {
                    http.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim("name", SecretName), new Claim("email", SecretEmail)], "test"));
                }

                return next(http);
            });
            app.MapControllers();
            app.MapOpenApi();
            app.MapGet("/minimal/notes/of/{userId}", async (string userId, RoutedDatabase db, CancellationToken ct) =>
                await db.QueryAsync<LibraryNotesController.Note>("SELECT id AS Id, user_id AS UserId, text AS Text FROM library_notes WHERE user_id = @userId",
                    new { userId }, ct)).ReadsUserData("userId");
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
                using var read = await http.SendAsync(As("1", HttpMethod.Get, "/mvc/notes/of/1"));
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
