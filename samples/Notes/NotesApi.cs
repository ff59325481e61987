using System.ComponentModel.DataAnnotations.Schema;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using OrleansRaw.ReadYourWrites;

namespace Notes;

/// <summary>A signed-in user's notes: a write, and an own read that never misses it.</summary>
public static class NotesApi
{
    public static IEndpointRouteBuilder MapNotesApi(this IEndpointRouteBuilder app)
    {
        var notes = app.MapGroup("/notes").RequireAuthorization();
        notes.MapPost("/", AddNote).WritesCallerData();         // recorded in the user's grain before the response
        notes.MapGet("/", MyNotes).ReadsCallerData();           // a replica that has the caller's writes, else the primary
        return app;
    }

    private static async Task<Results<Created<Note>, UnauthorizedHttpResult>> AddNote(
        NewNote note, HttpContext http, CallerIds callers, RoutedDatabase db, CancellationToken ct)
    {
        if (callers.Of(http.User) is not { } userId) return TypedResults.Unauthorized();   // the id the library routes by
        var saved = new Note { UserId = userId, Text = note.Text };
        await db.WriteAsync(async connection =>
        {
            await using var notes = new NotesDb(connection);
            notes.Notes.Add(saved);
            return await notes.SaveChangesAsync(ct);
        }, ct);
        return TypedResults.Created($"/notes/{saved.Id}", saved);
    }

    private static async Task<Results<Ok<List<Note>>, UnauthorizedHttpResult>> MyNotes(
        HttpContext http, CallerIds callers, RoutedDatabase db, CancellationToken ct)
    {
        if (callers.Of(http.User) is not { } userId) return TypedResults.Unauthorized();   // the id the library routes by
        await using var read = await db.OpenReadConnectionAsync(ct);   // the connection the routing decision chose
        await using var notes = new NotesDb(read.Connection);
        return TypedResults.Ok(await notes.Notes.Where(n => n.UserId == userId).OrderBy(n => n.Id).ToListAsync(ct));
    }
}

public sealed record NewNote(string Text);

[Table("notes")]
public sealed class Note
{
    [Column("id")] public long Id { get; set; }
    [Column("user_id")] public string UserId { get; set; } = "";
    [Column("text")] public string Text { get; set; } = "";
}

public sealed class NotesDb(NpgsqlConnection connection) : DbContext
{
    public DbSet<Note> Notes => Set<Note>();

    protected override void OnConfiguring(DbContextOptionsBuilder options) => options.UseNpgsql(connection);
}
