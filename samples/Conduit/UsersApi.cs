using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using OrleansRaw.ReadYourWrites;

namespace Conduit;

/// <summary>Sign-up, sign-in and the current user: RealWorld's <c>/api/users</c> and <c>/api/user</c>.</summary>
public static class UsersApi
{
    private static readonly PasswordHasher<ConduitUser> Hasher = new();

    private const string UserColumns = "id AS Id, username AS Username, email AS Email, password_hash AS PasswordHash, bio AS Bio, image AS Image";

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder api)
    {
        api.MapPost("/users", Register).WritesNewUserData();         // the new user's write, recorded as theirs: signed in by the handler
        api.MapPost("/users/login", Login).ReadsFromPrimary();      // credentials are never read a moment old: sign-in right after sign-up works
        api.MapGet("/user", CurrentUser).RequireAuthorization().ReadsCallerData();
        api.MapPut("/user", UpdateUser).RequireAuthorization().WritesCallerData();
        return api;
    }

    private static async Task<Results<Created<UserEnvelope>, UnprocessableEntity<ErrorsBody>>> Register(
        UserRequest<NewUser>? request, HttpContext http, RoutedDatabase db, Tokens tokens, CancellationToken ct)
    {
        var user = request?.User;
        var missing = Missing(("username", user?.Username), ("email", user?.Email), ("password", user?.Password));
        if (missing.Length > 0)
        {
            return Problems.Invalid(missing);
        }

        var row = new ConduitUser { Id = UserIds.New(), Username = user!.Username!.Trim(), Email = user.Email!.Trim() };
        row.PasswordHash = Hasher.HashPassword(row, user.Password!);
        if (await TakenAsync(() => db.WriteAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO users (id, username, email, password_hash) VALUES (@Id, @Username, @Email, @PasswordHash)", row, cancellationToken: ct)), ct)) is { } taken)
        {
            return Problems.Invalid(taken);
        }

        http.User = UserIds.SignedIn(row.Id);
        return TypedResults.Created("/api/user", Envelope(row, tokens));
    }

    private static async Task<Results<Ok<UserEnvelope>, UnprocessableEntity<ErrorsBody>, JsonHttpResult<ErrorsBody>>> Login(
        UserRequest<Credentials>? request, RoutedDatabase db, Tokens tokens, CancellationToken ct)
    {
        var credentials = request?.User;
        var missing = Missing(("email", credentials?.Email), ("password", credentials?.Password));
        if (missing.Length > 0)
        {
            return Problems.Invalid(missing);
        }

        var user = await db.QuerySingleOrDefaultAsync<ConduitUser>(
            $"SELECT {UserColumns} FROM users WHERE lower(email) = lower(@email)", new { email = credentials!.Email!.Trim() }, ct);
        if (user is null || Hasher.VerifyHashedPassword(user, user.PasswordHash, credentials.Password!) == PasswordVerificationResult.Failed)
        {
            return TypedResults.Json(Problems.Body("email or password is invalid"), statusCode: StatusCodes.Status401Unauthorized);
        }

        return TypedResults.Ok(Envelope(user, tokens));
    }

    private static async Task<Results<Ok<UserEnvelope>, UnauthorizedHttpResult>> CurrentUser(
        ClaimsPrincipal principal, RoutedDatabase db, Tokens tokens, CancellationToken ct)
    {
        var user = await db.QuerySingleOrDefaultAsync<ConduitUser>(
            $"SELECT {UserColumns} FROM users WHERE id = @id", new { id = UserIds.Caller(principal) }, ct);
        return user is null ? TypedResults.Unauthorized() : TypedResults.Ok(Envelope(user, tokens));
    }

    private static async Task<Results<Ok<UserEnvelope>, UnauthorizedHttpResult, UnprocessableEntity<ErrorsBody>>> UpdateUser(
        UserRequest<UserChanges>? request, ClaimsPrincipal principal, RoutedDatabase db, Tokens tokens, CancellationToken ct)
    {
        var changes = request?.User ?? new UserChanges(null, null, null, null, null);
        if (changes is { Username: "" } or { Email: "" } or { Password: "" })
        {
            return Problems.Invalid("username, email and password can't be blank");
        }

        ConduitUser? updated = null;
        var taken = await TakenAsync(async () => updated = await db.WriteAsync(async connection =>
        {
            var row = new ConduitUser { Id = UserIds.Caller(principal) };
            var hash = changes.Password is null ? null : Hasher.HashPassword(row, changes.Password);
            return await connection.QuerySingleOrDefaultAsync<ConduitUser>(new CommandDefinition(
                $"""
                UPDATE users SET username = COALESCE(@Username, username), email = COALESCE(@Email, email),
                    password_hash = COALESCE(@hash, password_hash),
                    bio = CASE WHEN @Bio::text IS NULL THEN bio ELSE NULLIF(@Bio, '') END,
                    image = CASE WHEN @Image::text IS NULL THEN image ELSE NULLIF(@Image, '') END
                WHERE id = @id RETURNING {UserColumns}
                """,
                new { changes.Username, changes.Email, hash, changes.Bio, changes.Image, id = row.Id }, cancellationToken: ct));
        }, ct));
        if (taken is not null)
        {
            return Problems.Invalid(taken);
        }

        return updated is null ? TypedResults.Unauthorized() : TypedResults.Ok(Envelope(updated, tokens));
    }

    // Runs a write that may break a uniqueness rule: the rule's message when it did, else null.
    private static async Task<string?> TakenAsync(Func<Task> write)
    {
        try
        {
            await write();
            return null;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return ex.ConstraintName == "users_email" ? "email has already been taken" : "username has already been taken";
        }
    }

    private static string[] Missing(params (string Field, string? Value)[] fields) =>
        [.. fields.Where(f => string.IsNullOrWhiteSpace(f.Value)).Select(f => $"{f.Field} can't be blank")];

    private static UserEnvelope Envelope(ConduitUser user, Tokens tokens) =>
        new(new AuthenticatedUser(user.Email, tokens.Issue(user.Id), user.Username, user.Bio, user.Image));
}

public sealed record UserRequest<T>(T? User);

public sealed record NewUser(string? Username, string? Email, string? Password);

public sealed record Credentials(string? Email, string? Password);

public sealed record UserChanges(string? Email, string? Username, string? Password, string? Bio, string? Image);

public sealed record UserEnvelope(AuthenticatedUser User);

public sealed record AuthenticatedUser(string Email, string Token, string Username, string? Bio, string? Image);

/// <summary>A row of <c>users</c>.</summary>
public sealed class ConduitUser
{
    public string Id { get; set; } = "";
    public string Username { get; set; } = "";
    public string Email { get; set; } = "";
    public string PasswordHash { get; set; } = "";
    public string? Bio { get; set; }
    public string? Image { get; set; }
}
