using System.Globalization;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OrleansRaw.WebApi.Auth;
using OrleansRaw.WebApi.Contract;
using OrleansRaw.WebApi.Hosting;

namespace OrleansRaw.WebApi.Features;

/// <summary>
/// Development only: read and set a replica's artificial lag (<c>recovery_min_apply_delay</c>), so the page can show
/// read-your-writes under lag. Mapped only in Development or when <c>Auth:EnableDevTokens</c> is true.
/// </summary>
public static class DevReplicaLagApi
{
    public const int MaxDelayMs = 60_000;

    private const string SettingSql = "SELECT setting FROM pg_settings WHERE name = 'recovery_min_apply_delay'";

    public static IEndpointRouteBuilder MapDevReplicaLagApi(this IEndpointRouteBuilder routes)
    {
        var devTokens = routes.ServiceProvider.GetRequiredService<IOptions<AuthOptions>>().Value.EnableDevTokens;
        if (devTokens || routes.ServiceProvider.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            var api = routes.MapGroup("/api/dev/replicas").WithTags("Development");
            api.MapGet("/lag", GetLags).WithName("GetReplicaLags").WithSummary("Get each replica's artificial replay delay");
            api.MapPut("/{name}/lag", SetLag).WithName("SetReplicaLag").WithSummary("Set a replica's artificial replay delay")
                .DocumentsProblem(StatusCodes.Status404NotFound, "There is no configured replica of that name.")
                .DocumentsProblem(StatusCodes.Status503ServiceUnavailable, "The replica is unreachable. Retry after Retry-After seconds.", retryAfter: true);
        }

        return routes;
    }

    public sealed record SetLagRequest(int DelayMs);

    public sealed record ReplicaLagSetting(string Replica, int? DelayMs, string? Error = null);

    private static async Task<Ok<List<ReplicaLagSetting>>> GetLags(
        NodeConnections sources, IOptions<DatabaseOptions> database, CancellationToken cancellationToken)
    {
        var settings = new List<ReplicaLagSetting>();
        foreach (var replica in database.Value.Replicas)
        {
            try
            {
                settings.Add(new ReplicaLagSetting(replica.Name, await ReadDelayAsync(sources.Replica(replica.Name)!, cancellationToken)));
            }
            catch (Npgsql.NpgsqlException ex)
            {
                settings.Add(new ReplicaLagSetting(replica.Name, null, ex.Message));
            }
        }

        return TypedResults.Ok(settings);
    }

    private static async Task<Results<Ok<ReplicaLagSetting>, ValidationProblem, ProblemHttpResult>> SetLag(
        string name, SetLagRequest request, NodeConnections sources, IOptions<DatabaseOptions> database, CancellationToken cancellationToken)
    {
        // The name only selects a configured data source; it never reaches SQL.
        if (!database.Value.Replicas.Any(r => r.Name == name) || sources.Replica(name) is not { } replica)
        {
            return TypedResults.Problem($"There is no configured replica named '{name}'.", statusCode: StatusCodes.Status404NotFound, title: "Unknown replica");
        }

        if (Validation.Range(request.DelayMs, "delayMs", 0, MaxDelayMs) is { } problem)
        {
            return problem;
        }

        // ALTER SYSTEM takes no bind parameters; the only variable part is the validated integer, formatted invariantly.
        // It cannot run inside a transaction block, so each statement is a command of its own.
        var alter = string.Create(CultureInfo.InvariantCulture, $"ALTER SYSTEM SET recovery_min_apply_delay = '{request.DelayMs}ms'");
        await using (var connection = await replica.OpenConnectionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(alter, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_reload_conf()", cancellationToken: cancellationToken));
        }

        // The reload is asynchronous: answer once new sessions see the value (or with what they see after 2 s).
        int? delay = null;
        for (var attempt = 0; attempt < 40 && delay != request.DelayMs; attempt++)
        {
            await Task.Delay(attempt == 0 ? 0 : 50, cancellationToken);
            delay = await ReadDelayAsync(replica, cancellationToken);
        }

        return TypedResults.Ok(new ReplicaLagSetting(name, delay));
    }

    private static async Task<int?> ReadDelayAsync(Npgsql.NpgsqlDataSource replica, CancellationToken cancellationToken)
    {
        await using var connection = await replica.OpenConnectionAsync(cancellationToken);
        var setting = await connection.ExecuteScalarAsync<string>(new CommandDefinition(SettingSql, cancellationToken: cancellationToken));
        return int.TryParse(setting, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : null;
    }
}
