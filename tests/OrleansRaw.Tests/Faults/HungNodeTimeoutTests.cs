using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using OrleansRaw.Tests.Cluster;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Faults;

/// <summary>
/// A node that hangs instead of failing: every process of a PostgreSQL node stopped with SIGSTOP for 12 s. Its TCP
/// connections stay open and new ones are accepted by the kernel, but nothing answers — only timeouts end the wait.
/// A hung replica costs no error (its reads fall back to the primary after the replica read timeout); a hung primary
/// costs only 503 + Retry-After within a few seconds, and the system is back soon after the node resumes.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class HungNodeTimeoutTests(ITestOutputHelper output)
{
    private static readonly TimeSpan FaultAt = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Frozen = TimeSpan.FromSeconds(12);
    private static readonly TimeSpan After = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task HungReplica_CostsNoError_AndReadsStayWithinTheTimeout()
    {
        var services = await StartServicesAsync();
        try
        {
            await using var cluster = await MultiProcessCluster.StartAsync(silos: 2, services);
            var workload = await RunWithFrozenNodeAsync(services, cluster, "replica-1");
            var reads = workload.Reads.Where(r => r.At >= workload.FrozenAt && r.At < workload.ResumedAt).ToList();
            var p99 = Percentile(reads.Select(r => r.Took), 0.99);
            output.WriteLine($"replica-1 frozen {Frozen.TotalSeconds} s: {workload.Summary()}; reads while frozen: {reads.Count}, "
                + $"p50 {Percentile(reads.Select(r => r.Took), 0.5).TotalMilliseconds:F0} ms, p99 {p99.TotalMilliseconds:F0} ms, "
                + $"max {reads.Max(r => r.Took).TotalMilliseconds:F0} ms, from replica-1 {reads.Count(r => r.Source == "replica:replica-1")}");

            foreach (var slow in reads.OrderByDescending(r => r.Took).Take(5))
            {
                output.WriteLine($"  slow read: {(slow.At - workload.FrozenAt).TotalSeconds:F1} s into the freeze, took {slow.Took.TotalMilliseconds:F0} ms, {slow.Source} {slow.Reason}");
            }

            Assert.Empty(workload.Errors);
            Assert.True(reads.Count > 50, $"only {reads.Count} reads while the replica was frozen");
            // The replica read timeout (500 ms) plus Npgsql's short wait for the cancellation, plus the primary's read.
            Assert.True(p99 < TimeSpan.FromSeconds(1.5), $"read p99 {p99.TotalMilliseconds:F0} ms while replica-1 was frozen");
        }
        finally
        {
            await services.RunAsync("reset");
        }
    }

    [Fact]
    public async Task HungPrimary_AnswersOnly503WithRetryAfter_WithinSeconds_AndRecoversAfterResume()
    {
        var services = await StartServicesAsync();
        try
        {
            await using var cluster = await MultiProcessCluster.StartAsync(silos: 2, services);
            var workload = await RunWithFrozenNodeAsync(services, cluster, "primary");
            var errors = workload.All.Where(r => !r.Ok).ToList();
            var firstError = errors.Count == 0 ? (TimeSpan?)null : errors.Min(r => r.At + r.Took) - workload.FrozenAt;
            var slowest503 = errors.Count == 0 ? TimeSpan.Zero : errors.Max(r => r.Took);
            var lastError = errors.Count == 0 ? (TimeSpan?)null : errors.Max(r => r.At + r.Took);
            var writesBack = workload.Writes.Where(r => r.Ok && r.At >= workload.ResumedAt).Select(r => r.At + r.Took).DefaultIfEmpty(TimeSpan.MaxValue).Min();
            var recovered = writesBack - workload.ResumedAt;
            output.WriteLine($"primary frozen {Frozen.TotalSeconds} s: {workload.Summary()}; first 503 answered {firstError?.TotalSeconds:F1} s after the freeze, "
                + $"slowest 503 took {slowest503.TotalSeconds:F1} s; first write back {recovered.TotalSeconds:F1} s after SIGCONT, "
                + $"last error {(lastError is { } l ? (l - workload.ResumedAt).TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) : "-")} s after SIGCONT");

            Assert.NotEmpty(errors);
            Assert.All(errors, e => Assert.Equal(HttpStatusCode.ServiceUnavailable, e.Status));
            Assert.All(errors, e => Assert.True(e.RetryAfter, "a 503 without Retry-After"));
            Assert.True(slowest503 < TimeSpan.FromSeconds(5), $"a 503 took {slowest503.TotalSeconds:F1} s");
            Assert.True(recovered < TimeSpan.FromSeconds(5), $"writes back {recovered.TotalSeconds:F1} s after SIGCONT");
            Assert.True(lastError is null || lastError.Value - workload.ResumedAt < TimeSpan.FromSeconds(5), "errors went on more than 5 s after SIGCONT");
        }
        finally
        {
            await services.RunAsync("reset");
        }
    }

    // A service set of its own: its processes are frozen, which nothing else may share.
    private static async Task<ServiceSet> StartServicesAsync()
    {
        var services = new ServiceSet(27732, 27733, 27734, 27779, Path.Combine(RepoPaths.Root, ".data", "timeouts-27732"));
        await services.RunAsync("reset");
        await services.RunAsync("up");
        return services;
    }

    private async Task<Workload> RunWithFrozenNodeAsync(ServiceSet services, MultiProcessCluster cluster, string node)
    {
        var workload = new Workload();
        using var stop = new CancellationTokenSource();
        var running = workload.RunAsync(cluster.Api, users: 8, stop.Token);
        var ticks = new List<string>();
        var ticker = Task.Run(async () =>
        {
            var last = workload.Elapsed;
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(50);
                var now = workload.Elapsed;
                if (now - last > TimeSpan.FromMilliseconds(300))
                {
                    // A timer 300 ms late: the whole process stalled (what the API's thread minimum is there for).
                    lock (ticks)
                    {
                        ticks.Add($"process stall: {(now - last).TotalMilliseconds:F0} ms at {(now - workload.FrozenAt).TotalSeconds:F1} s; "
                            + $"threads {ThreadPool.ThreadCount}, pending {ThreadPool.PendingWorkItemCount}");
                    }
                }

                last = now;
            }
        });
        await Task.Delay(FaultAt);

        var pids = NodeProcesses(Path.Combine(await DataDirectoryAsync(services), node));
        output.WriteLine($"{node}: stopping pids {string.Join(' ', pids)}");
        workload.FrozenAt = workload.Elapsed;
        try
        {
            await SignalAsync("STOP", pids);
            await Task.Delay(Frozen);
        }
        finally
        {
            await SignalAsync("CONT", pids);
            workload.ResumedAt = workload.Elapsed;
        }

        await Task.Delay(After);
        stop.Cancel();
        await running;
        await ticker;
        foreach (var stall in ticks)
        {
            output.WriteLine(stall);
        }

        return workload;
    }

    // The postmaster (first line of postmaster.pid) and its children, found by parent pid: exactly this node's processes.
    private static List<int> NodeProcesses(string dataDirectory)
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        var pids = new List<int> { postmaster };
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) == postmaster)
                {
                    pids.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        Assert.True(pids.Count > 3, $"found only {pids.Count} processes of {dataDirectory}");
        return pids;
    }

    private static async Task SignalAsync(string signal, IEnumerable<int> pids)
    {
        var start = new ProcessStartInfo("kill") { ArgumentList = { "-" + signal } };
        foreach (var pid in pids)
        {
            start.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        }

        using var kill = Process.Start(start)!;
        await kill.WaitForExitAsync();
    }

    private static async Task<string> DataDirectoryAsync(ServiceSet services)
    {
        var (_, text) = await services.RunScriptAsync("env");
        return text.Split('\n').Single(l => l.StartsWith("ORLEANSRAW_DATA=", StringComparison.Ordinal))["ORLEANSRAW_DATA=".Length..].Trim();
    }

    private static TimeSpan Percentile(IEnumerable<TimeSpan> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length == 0 ? TimeSpan.Zero : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    private sealed record Request(string Kind, TimeSpan At, TimeSpan Took, HttpStatusCode Status, bool RetryAfter, string? Source, string? Reason)
    {
        public bool Ok => (int)Status is >= 200 and < 300;
    }

    /// <summary>Users writing a post, reading their own posts and another user's, in a loop; every request timed.</summary>
    private sealed class Workload
    {
        private readonly ConcurrentBag<Request> _requests = [];
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public TimeSpan Elapsed => _clock.Elapsed;
        public TimeSpan FrozenAt { get; set; }
        public TimeSpan ResumedAt { get; set; }
        public IReadOnlyList<Request> All => [.. _requests];
        public IEnumerable<Request> Reads => _requests.Where(r => r.Kind == "GET");
        public IEnumerable<Request> Writes => _requests.Where(r => r.Kind == "POST");
        public IReadOnlyDictionary<string, int> Errors => _requests.Where(r => !r.Ok).GroupBy(r => $"{r.Kind} {(int)r.Status}").ToDictionary(g => g.Key, g => g.Count());

        public string Summary() =>
            $"{Writes.Count()} writes, {Reads.Count()} reads; errors: {(Errors.Count == 0 ? "none" : string.Join(", ", Errors.Select(e => $"{e.Key}×{e.Value}")))}";

        public async Task RunAsync(Deployment.ApiFactory api, int users, CancellationToken stop)
        {
            var baseId = TestUsers.NewId();
            await Task.WhenAll(Enumerable.Range(0, users).Select(i => UserLoopAsync(ApiClient.For(api), baseId + i, baseId + ((i + 1) % users), stop)));
        }

        private async Task UserLoopAsync(ApiClient client, long userId, long otherId, CancellationToken stop)
        {
            using var _ = client;
            await client.SignInAsync(userId);
            while (!stop.IsCancellationRequested)
            {
                var wrote = await SendAsync("POST", () => client.CreatePostAsync("hung node drill"));
                var own = await SendAsync("GET", () => client.GetPostsAsync());
                var other = await SendAsync("GET", () => client.GetUserPostsAsync(otherId));
                await Task.Delay(wrote && own && other ? 20 : 200);
            }
        }

        private async Task<bool> SendAsync<T>(string kind, Func<Task<T>> send) where T : class, IAnswer
        {
            var at = _clock.Elapsed;
            var answer = await ApiClient.AnswerAsync(send());
            var entry = new Request(kind, at, _clock.Elapsed - at, answer.Status, answer.RetryAfter is not null,
                answer.Header("X-Read-Source"), answer.Header("X-Consistency-Reason"));
            _requests.Add(entry);
            return entry.Ok;
        }
    }
}
