using Dapper;
using OrleansRaw.ReadYourWrites;

namespace Conduit;

/// <summary>A change (a follow, a favorite), then the row as it stands after it, both on the write's primary connection.</summary>
public static class PrimaryChanges
{
    public static Task<T?> ChangeThenReadAsync<T>(this RoutedDatabase db, string change, string read, object parameters, CancellationToken ct) =>
        db.WriteAsync(async connection =>
        {
            await connection.ExecuteAsync(new CommandDefinition(change, parameters, cancellationToken: ct));
            return await connection.QuerySingleOrDefaultAsync<T>(new CommandDefinition(read, parameters, cancellationToken: ct));
        }, ct);
}
