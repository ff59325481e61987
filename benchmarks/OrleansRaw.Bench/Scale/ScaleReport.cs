using System.Globalization;
using System.Text;

namespace OrleansRaw.Bench.Scale;

/// <summary>Renders <c>./bench --scale</c>'s results as Markdown tables; what they mean is written by hand in docs/SCALING.md.</summary>
public static class ScaleReport
{
    public static string Render(ScaleResults results)
    {
        var md = new StringBuilder();
        md.AppendLine("# Scale figures");
        md.AppendLine();
        md.AppendLine($"Rendered by `{results.Command}` on {results.StartedAt:yyyy-MM-dd HH:mm} UTC in {results.Elapsed.TotalMinutes:F1} min; "
            + "what they mean, and the projection from them, is in [SCALING.md](SCALING.md). Every process (silos, API, PostgreSQL, Redis, "
            + "the load generator) shared one machine's cores with other work.");
        md.AppendLine();

        if (results.Memory is { } memory)
        {
            md.AppendLine("## Silo memory per user grain");
            md.AppendLine();
            md.AppendLine($"One silo; {memory.Grains:N0} user grains activated (after {1_000:N0} to warm up) the way an API server activates a user's grain on their "
                + "first write (the write recorded with the server as lease holder); figures after two full collections, from the silo's `/metrics`.");
            md.AppendLine();
            md.AppendLine("| | Activations | Managed heap | of it live objects | Working set |");
            md.AppendLine("|---|---|---|---|---|");
            md.AppendLine($"| before | {memory.Before.Activations:N0} | {Mb(memory.Before.HeapBytes)} | {Mb(memory.Before.LiveBytes)} | {Mb(memory.Before.WorkingSetBytes)} |");
            md.AppendLine($"| after | {memory.After.Activations:N0} | {Mb(memory.After.HeapBytes)} | {Mb(memory.After.LiveBytes)} | {Mb(memory.After.WorkingSetBytes)} |");
            md.AppendLine($"| **per grain** | | **{memory.HeapBytesPerGrain:N0} bytes** | {memory.LiveBytesPerGrain:N0} bytes | {memory.WorkingSetBytesPerGrain:N0} bytes |");
            md.AppendLine();
            md.AppendLine("The managed heap counts the free space the collections left between live objects (the runtime's "
                + "`dotnet.gc.last_collection.heap.fragmentation.size`); the live objects are the heap without it.");
            md.AppendLine();
            md.AppendLine($"Activating them took {memory.ActivateSeconds:F1} s ({memory.Activated / Math.Max(memory.ActivateSeconds, 0.001):N0} activations/s, 64 in flight).");
            md.AppendLine();
        }

        if (results.Redis is { } redis)
        {
            md.AppendLine("## Redis per user");
            md.AppendLine();
            md.AppendLine($"{redis.Wrote:N0} of {redis.Users:N0} users each signed in and wrote one post through the API (16 at a time, {redis.Seconds:F0} s); "
                + "Redis read before and after: every key (`SCAN`) with its `MEMORY USAGE`, and `INFO memory`.");
            md.AppendLine();
            md.AppendLine("| | Keys | Their bytes | used_memory |");
            md.AppendLine("|---|---|---|---|");
            md.AppendLine($"| before | {redis.Before.Keys} | {redis.Before.KeyBytes:N0} | {redis.Before.UsedMemory:N0} |");
            md.AppendLine($"| after | {redis.After.Keys} | {redis.After.KeyBytes:N0} | {redis.After.UsedMemory:N0} |");
            md.AppendLine($"| **per user** | {(double)(redis.After.Keys - redis.Before.Keys) / Math.Max(redis.Wrote, 1):F2} | **{redis.KeyBytesPerUser:F1} bytes** | "
                + $"{(double)(redis.After.UsedMemory - redis.Before.UsedMemory) / Math.Max(redis.Wrote, 1):F1} bytes (the server's own buffers move too) |");
            md.AppendLine();
        }

        if (results.Calls.Count > 0)
        {
            md.AppendLine("## Grain calls by silo count");
            md.AppendLine();
            md.AppendLine($"An Orleans client (as the API's) calls user grains in a closed loop, {results.CallSeconds:0} s measured after {results.WarmUpSeconds:0} s of warm-up, "
                + $"{results.DecisionUsers:N0} users whose writes every replica has replayed: a `{SiloScaling.LeasedDecision}` is `LeaseAsync` (what an API server asks "
                + "for a user it holds no lease on: their first read there, or once a lease — 1 s — ran out), then the routing policy on the lease's state in the "
                + "client, as the API runs it (the read goes to a caught-up replica). CPU from `/proc` over the measured window.");
            md.AppendLine();
            md.AppendLine("| Silos | Call | In flight | Calls/s | p50 | p99 | Silos' CPU (cores) | Calls per silo CPU-second | Client's CPU (cores) |");
            md.AppendLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var c in results.Calls)
            {
                md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {c.Silos} | {c.Call} | {c.Load.Concurrency} | {c.Load.PerSecond:N0} | {c.Load.P50Ms:F2} ms | {c.Load.P99Ms:F2} ms | "
                    + $"{c.SiloCpuMs / 1000 / c.Seconds:F2} | {c.PerSiloCpuSecond:N0} | {c.ClientCpuMs / 1000 / c.Seconds:F2} |"));
            }

            md.AppendLine();
        }

        md.AppendLine("## Machine");
        md.AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("|---|---|");
        foreach (var (name, value) in results.Facts)
        {
            md.AppendLine($"| {name} | {value} |");
        }

        md.AppendLine($"| Load average (1 min) before / after | {results.LoadAverageBefore} / {results.LoadAverageAfter} (the machine is shared with other work) |");
        return md.ToString();
    }

    private static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:F1} MB");
}
