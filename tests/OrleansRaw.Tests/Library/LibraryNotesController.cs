using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using OrleansRaw.ReadYourWrites;

namespace OrleansRaw.Tests.Library;

/// <summary>An MVC controller of an app that uses only the library: the attributes instead of the endpoint conventions.</summary>
[ApiController]
[Route("mvc/notes")]
public sealed class LibraryNotesController(RoutedDatabase db, CallerIds callers) : ControllerBase
{
    public sealed record Note(long Id, string UserId, string Text);

    public sealed record NewNote(string Text);

    [HttpPost]
    [WritesCallerData]
    public async Task<ActionResult<Note>> Add(NewNote note, CancellationToken cancellationToken)
    {
        var userId = callers.Of(User) ?? throw new InvalidOperationException("signed-in callers only");
        var saved = (await db.WriteAsync<Note>("INSERT INTO library_notes (user_id, text) VALUES (@userId, @text) RETURNING id AS Id, user_id AS UserId, text AS Text",
            new { userId, text = note.Text }, cancellationToken)).Single();
        return Created($"/mvc/notes/{saved.Id}", saved);
    }

    [HttpGet]
    [ReadsCallerData]
    public async Task<List<Note>> Mine(CancellationToken cancellationToken) =>
        await db.QueryAsync<Note>("SELECT id AS Id, user_id AS UserId, text AS Text FROM library_notes WHERE user_id = @userId",
            new { userId = callers.Of(User) }, cancellationToken);

    /// <summary>A user's rows, read by anyone: eventual unless the reader is that user.</summary>
    [HttpGet("of/{userId}")]
    [ReadsUserData("userId")]
    public async Task<List<Note>> Of(string userId, CancellationToken cancellationToken) =>
        await db.QueryAsync<Note>("SELECT id AS Id, user_id AS UserId, text AS Text FROM library_notes WHERE user_id = @userId",
            new { userId }, cancellationToken);

    /// <summary>Everyone's rows (a feed): read-your-writes for the signed-in reader, since the reader's rows are among them.</summary>
    [HttpGet("all")]
    [ReadsSharedData]
    public async Task<List<Note>> All(CancellationToken cancellationToken) =>
        await db.QueryAsync<Note>("SELECT id AS Id, user_id AS UserId, text AS Text FROM library_notes ORDER BY id DESC LIMIT 200", null, cancellationToken);

    /// <summary>A signed-in caller whose id is in the claim <paramref name="claimType"/>.</summary>
    internal static ClaimsPrincipal Caller(string userId, string claimType = "sub") => new(new ClaimsIdentity([new Claim(claimType, userId)], "test"));
}
