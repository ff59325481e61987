namespace OrleansRaw.Client;

/// <summary>
/// Where <see cref="ConsistencyTokenHandler"/> keeps the latest consistency token of each scope (one user at one API
/// base address). A store that outlives the process (<see cref="FileConsistencyTokenStore"/>) lets a client that
/// restarts keep reading its own writes.
/// </summary>
public interface IConsistencyTokenStore
{
    /// <summary>The latest token kept for the scope, or null when there is none.</summary>
    ValueTask<string?> GetAsync(string scope, CancellationToken cancellationToken = default);

    /// <summary>Keeps the token as the scope's latest, replacing the one before.</summary>
    ValueTask SetAsync(string scope, string token, CancellationToken cancellationToken = default);
}
