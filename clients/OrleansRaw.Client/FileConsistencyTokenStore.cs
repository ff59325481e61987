using System.Text.Json;

namespace OrleansRaw.Client;

/// <summary>
/// Keeps tokens in a JSON file (scope to token), so a client that exits and starts again sends the token of its last
/// call. Safe for the calls of one process; the file is replaced whole, never left half written.
/// </summary>
public sealed class FileConsistencyTokenStore(string path) : IConsistencyTokenStore
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    public async ValueTask<string?> GetAsync(string scope, CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            return (await ReadAsync(cancellationToken)).GetValueOrDefault(scope);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask SetAsync(string scope, string token, CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var tokens = await ReadAsync(cancellationToken);
            tokens[scope] = token;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            // Written beside the file and moved over it: a crash mid-write leaves the previous token, not a torn file.
            var temporary = path + ".tmp";
            await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(tokens), cancellationToken);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<Dictionary<string, string>> ReadAsync(CancellationToken cancellationToken) =>
        File.Exists(path)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(path, cancellationToken)) ?? []
            : [];
}
