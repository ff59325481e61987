using System.Collections.Concurrent;

namespace OrleansRaw.Client;

/// <summary>Keeps tokens for the life of the process: enough for one long-running client.</summary>
public sealed class InMemoryConsistencyTokenStore : IConsistencyTokenStore
{
    private readonly ConcurrentDictionary<string, string> _tokens = new();

    public ValueTask<string?> GetAsync(string scope, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_tokens.TryGetValue(scope, out var token) ? token : null);

    public ValueTask SetAsync(string scope, string token, CancellationToken cancellationToken = default)
    {
        _tokens[scope] = token;
        return ValueTask.CompletedTask;
    }
}
