using System.Diagnostics;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Cluster;

/// <summary>What a churn user's request does: post, list their own posts, or list another user's.</summary>
public enum ChurnOp
{
    Write,
    OwnRead,
    OthersRead,
}

/// <summary>
/// One request of a churn run: who sent it, whose posts it wrote or read, the API server it was sent to (by name, a
/// restarted server's name differs from the killed one's), when it started and ended (<see cref="Stopwatch"/>
/// timestamps), its status (0: no HTTP answer, and <paramref name="Failure"/> says why), and for a 2xx answer where the
/// read ran and why (<c>X-Read-Source</c>, <c>X-Consistency-Reason</c>), the id of the post written, or the ids shown.
/// </summary>
public sealed record ChurnRequest(
    long User,
    ChurnOp Op,
    long Owner,
    string Server,
    long Started,
    long Ended,
    int Status,
    string? Failure = null,
    string? Source = null,
    string? Reason = null,
    long PostId = 0,
    long[]? Shown = null)
{
    /// <summary>The failure of a request that never reached a listening server: nothing was sent.</summary>
    public const string ConnectFailure = "connect";

    public bool Ok => Status is >= 200 and < 300;

    public bool Read => Op != ChurnOp.Write;

    public bool FromPrimary => Source == "primary";

    /// <summary>The highest post id the read showed, 0 for none: what a later read of the same posts must not go below.</summary>
    public long Highest => Shown is { Length: > 0 } ? Shown.Max() : 0;

    public TimeSpan Latency => Stopwatch.GetElapsedTime(Started, Ended);
}

/// <summary>
/// The API servers of a churn run as a health-checked balancer would present them, one slot each: the address a slot
/// answers at now (a killed server's stays until its replacement is ready, so requests to it fail at connect) and
/// whether the slot is in the rotation (a paused server is taken out once a health check would notice, and put back
/// when it runs again).
/// </summary>
public sealed class ChurnServers
{
    private readonly Server[] _slots;

    public ChurnServers(IEnumerable<Server> servers)
    {
        _slots = [.. servers];
    }

    public sealed record Server(string Name, Uri Address, bool InRotation = true);

    public int Count => _slots.Length;

    public Server this[int slot] => Volatile.Read(ref _slots[slot]);

    public void Set(int slot, Server server) => Volatile.Write(ref _slots[slot], server);

    /// <summary>The next slot after <paramref name="cursor"/> that is in the rotation (round robin), moving the cursor to it.</summary>
    public Server Next(ref int cursor)
    {
        for (var i = 1; i <= _slots.Length; i++)
        {
            var slot = (cursor + i) % _slots.Length;
            var server = this[slot];
            if (server.InRotation)
            {
                cursor = slot;
                return server;
            }
        }

        throw new InvalidOperationException("no API server is in the rotation");
    }
}

/// <summary>
/// One signed-in user of a churn run: one request at a time, with no pause between requests, each to the next API
/// server in the rotation. Roughly every 0.4–1.2 s a post, otherwise alternately a list of the user's own posts and a
/// list of another user's. The consistency token of each answer is sent back on reads only when
/// <paramref name="sendTokens"/>: without it, the user's state in the system is all that keeps reads consistent.
/// </summary>
public sealed class ChurnUser(long userId, string bearer, IReadOnlyList<long> others, ChurnServers servers, bool sendTokens)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public long UserId => userId;

    public async Task<List<ChurnRequest>> RunAsync(CancellationToken stop)
    {
        var requests = new List<ChurnRequest>();
        var clients = new Dictionary<Uri, ApiClient>();
        var random = new Random(unchecked((int)userId));
        var cursor = random.Next(servers.Count);
        var nextWrite = 0L;
        var own = true;
        string? token = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var server = servers.Next(ref cursor);
                if (!clients.TryGetValue(server.Address, out var client))
                {
                    client = ApiClient.At(server.Address, RequestTimeout);
                    client.SignInAs(bearer);
                    clients[server.Address] = client;
                }

                ChurnRequest request;
                string? answerToken;
                if (Stopwatch.GetTimestamp() >= nextWrite)
                {
                    nextWrite = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * random.Next(400, 1200) / 1000.0);
                    (request, answerToken) = await WriteAsync(client, server.Name, requests.Count);
                }
                else
                {
                    var owner = own ? userId : others[random.Next(others.Count)];
                    own = !own;
                    (request, answerToken) = await ReadAsync(client, server.Name, owner, sendTokens ? token : null);
                }

                requests.Add(request);
                token = answerToken ?? token;
            }
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
        }

        return requests;
    }

    private async Task<(ChurnRequest, string?)> WriteAsync(ApiClient client, string server, int n)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var answer = await ApiClient.AnswerAsync(client.CreatePostAsync($"churn {userId} {n}", Guid.NewGuid().ToString("N")));
            return (new ChurnRequest(userId, ChurnOp.Write, userId, server, started, Stopwatch.GetTimestamp(), (int)answer.Status,
                PostId: answer.Result?.Body.Id ?? 0), answer.Result?.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return (new ChurnRequest(userId, ChurnOp.Write, userId, server, started, Stopwatch.GetTimestamp(), 0, FailureOf(ex)), null);
        }
    }

    private async Task<(ChurnRequest, string?)> ReadAsync(ApiClient client, string server, long owner, string? token)
    {
        var op = owner == userId ? ChurnOp.OwnRead : ChurnOp.OthersRead;
        var started = Stopwatch.GetTimestamp();
        try
        {
            var answer = await ApiClient.AnswerAsync(op == ChurnOp.OwnRead ? client.GetPostsAsync(token) : client.GetUserPostsAsync(owner, token));
            var read = answer.Result;
            return (new ChurnRequest(userId, op, owner, server, started, Stopwatch.GetTimestamp(), (int)answer.Status, null,
                read?.Source ?? answer.Header("X-Read-Source"), read?.Reason ?? answer.Header("X-Consistency-Reason"), 0,
                read is null ? null : [.. read.Body.Select(p => p.Id)]), read?.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return (new ChurnRequest(userId, op, owner, server, started, Stopwatch.GetTimestamp(), 0, FailureOf(ex)), null);
        }
    }

    private static string FailureOf(Exception ex) => ex switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => ChurnRequest.ConnectFailure,
        HttpRequestException http => $"transport ({http.HttpRequestError})",
        _ => "timeout",
    };
}
