using System.Diagnostics;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>Waits for an API process to be worth sending traffic to.</summary>
public static class ApiReadiness
{
    /// <summary>
    /// Until an API server has its first replica snapshot, all its reads go to the primary: safe, and proving nothing.
    /// Waits until an anonymous read of <paramref name="api"/> runs on a replica.
    /// </summary>
    public static async Task WaitForReplicaReadsAsync(AppProcess api, TimeSpan? timeout = null)
    {
        using var client = ApiClient.At(api.Address, TimeSpan.FromSeconds(5));
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < (timeout ?? TimeSpan.FromSeconds(60)))
        {
            if (api.HasExited)
            {
                throw new InvalidOperationException($"API {api.Address} exited before it read from a replica:\n{api.Output}");
            }

            try
            {
                var read = await ApiClient.AnswerAsync(client.GetUserPostsAsync(1));
                if (read.Result is not null && read.Header("X-Read-Source")?.StartsWith("replica:", StringComparison.Ordinal) == true)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"API {api.Address} never read from a replica:\n{api.Output}");
    }
}
