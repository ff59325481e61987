using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using OrleansRaw.WebApi.Auth;
using OrleansRaw.WebApi.Contract;
using OrleansRaw.ReadYourWrites;
using OrleansRaw.WebApi.Features;
using OrleansRaw.WebApi.Jobs;
using OrleansRaw.Routing;
using OrleansRaw.WebApi.Observability;

namespace OrleansRaw.WebApi.Hosting;

/// <summary>Everything the API registers and maps, so that Program.cs stays a table of contents.</summary>
public static class ApiHosting
{
    /// <summary>Request bodies above this size are refused with 413 before any parsing.</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    public static WebApplicationBuilder AddOrleansRawApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        KeepThreadsForHungDatabases();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });

        // The read-your-writes layer; its tokens are signed with the JWT secret unless Consistency:TokenSigningKey names one.
        void SignTokensWithJwtSecret(ConsistencyOptions consistency)
        {
            if (consistency.TokenSigningKey.Length == 0)
            {
                consistency.TokenSigningKey = builder.Configuration[$"{AuthOptions.SectionName}:{nameof(AuthOptions.SigningKey)}"] ?? "";
            }
        }

        if (DirectBaseline.IsRequested(builder.Configuration))
        {
            // The benchmark's comparison path: the layer without its routing, and no cluster at all (no client, no dashboard).
            services.AddDirectBaseline(builder.Configuration, SignTokensWithJwtSecret);
        }
        else
        {
            // The Orleans client first: hosted services start in the order they were added, and the layer's snapshot
            // feed starts polling the monitor at once.
            if (builder.Configuration.GetValue("Orleans:UseHostedClient", true))
            {
                builder.UseOrleansRawClient(client => client.AddDashboard());
            }
            else
            {
                services.AddDashboardForSuppliedClient(builder.Configuration);
            }

            services.AddReadYourWrites(builder.Configuration, SignTokensWithJwtSecret);
        }

        services.AddSchemaMigrations(typeof(ApiHosting).Assembly);   // Data/Migrations/*.sql
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddHostedService<PostStatsWorker>();
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        services.AddOrleansRawAuth();
        services.AddProblemDetails();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<DatabaseUnavailableHandler>();
        // Binding failures throw in every environment (not only Development), so the handler above can name the problem.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOrleansRawOpenApi();
        services.AddSingleton<NodeConnections>();
        services.AddHealthChecks().AddCheck<ReadinessChecks>("cluster", tags: ["ready"]);
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(RateLimitOptions.WritesPolicy, context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                var user = CurrentUser.Id(context.User)?.ToString(CultureInfo.InvariantCulture) ?? "anonymous";
                return RateLimitPartition.GetTokenBucketLimiter(user, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.WriteBurst,
                    TokensPerPeriod = options.WritesPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                // Counted by ASP.NET Core itself: aspnetcore.rate_limiting.requests{aspnetcore.rate_limiting.policy="writes"}.
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Problems.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "Too many writes",
                    $"Slow down: at most {context.HttpContext.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value.WritesPerSecond} writes per second per user.");
            };
        });

        builder.AddOrleansRawObservability();

        return builder;
    }

    public static WebApplication UseOrleansRawApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(RefuseOversizedBodies);
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapOpenApi();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = HealthResponse.WriteAsync });
        app.MapAuthApi();
        app.MapPostsApi();
        app.MapProfileApi();
        app.MapCartApi();
        app.MapReplicasApi();
        app.MapDevReplicaLagApi();
        app.MapOrleansRawObservability();
        return app;
    }

    // When a PostgreSQL node hangs (its processes stopped, a frozen VM), each timed-out statement makes Npgsql send a
    // cancellation request and close the connection synchronously, holding a pool thread for up to the connect
    // timeout. On a small machine the thread pool starts with one thread per core and adds about one a second: a few
    // dozen such waits stalled every request of the process for seconds (measured: 4 s with a hung primary). Starting
    // with more threads keeps those waits from queueing everything else behind them.
    private static void KeepThreadsForHungDatabases()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, MinWorkerThreads), io);
    }

    private const int MinWorkerThreads = 64;

    // Kestrel enforces the limit itself, also on streamed bodies; this refuses announced oversized bodies before any
    // reading on every host (the test server enforces no limit) and answers with a ProblemDetails.
    private static async Task RefuseOversizedBodies(HttpContext context, RequestDelegate next)
    {
        if (context.Request.ContentLength > MaxRequestBodyBytes)
        {
            await Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"Request bodies are limited to {MaxRequestBodyBytes} bytes.");
            return;
        }

        await next(context);
    }
}
