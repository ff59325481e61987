using System.Collections.Concurrent;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>
/// Read-your-writes at scale: many users each write and at once read their own data back through the API.
/// A read that does not show the write just made is stale.
/// </summary>
public static class OwnReadWorkload
{
    public sealed record Result(int Pairs, int Stale, int OwnReadsFromPrimary, IReadOnlyDictionary<string, int> Reasons)
    {
        public double PrimaryShare => Pairs == 0 ? 0 : (double)OwnReadsFromPrimary / Pairs;

        public override string ToString() =>
            $"{Pairs} write→own-read pairs: {Stale} stale, own reads from primary {OwnReadsFromPrimary} ({PrimaryShare:P1}); reasons: "
            + string.Join(", ", Reasons.OrderByDescending(r => r.Value).Select(r => $"{r.Key}={r.Value}"));
    }

    /// <summary>One user's write then own read; returns whether the read showed the write, and the read.</summary>
    public delegate Task<(bool Fresh, string Source, string Reason)> Scenario(ApiClient client, int iteration);

    public static async Task<Result> RunAsync(Deployment deployment, int pairs, int users, Scenario scenario, Func<int, Task>? onProgress = null)
    {
        var clients = new List<ApiClient>();
        var baseId = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);
        for (var i = 0; i < users; i++)
        {
            clients.Add(await deployment.CreateClient().SignInAsync(baseId + i));
        }

        var stale = 0;
        var primary = 0;
        var done = 0;
        var reasons = new ConcurrentDictionary<string, int>();
        var perUser = pairs / users;
        await Parallel.ForEachAsync(clients, new ParallelOptions { MaxDegreeOfParallelism = users }, async (client, _) =>
        {
            for (var i = 0; i < perUser; i++)
            {
                var (fresh, source, reason) = await scenario(client, i);
                if (!fresh)
                {
                    Interlocked.Increment(ref stale);
                }

                if (source == "primary")
                {
                    Interlocked.Increment(ref primary);
                }

                reasons.AddOrUpdate(reason, 1, (_, n) => n + 1);
                var count = Interlocked.Increment(ref done);
                if (onProgress is not null)
                {
                    await onProgress(count);
                }
            }
        });

        foreach (var client in clients)
        {
            client.Dispose();
        }

        return new Result(perUser * users, stale, primary, reasons);
    }

    /// <summary>Post, then list my posts: the new post must be there.</summary>
    public static readonly Scenario PostThenListOwnPosts = async (client, i) =>
    {
        var (post, _) = await client.CreatePostAsync($"photo {i} {Guid.NewGuid():N}");
        var read = await client.GetPostsAsync();
        return (read.Body.Any(p => p.Id == post.Id), read.Source, read.Reason);
    };

    /// <summary>Update my profile, then get it: the new bio must be there.</summary>
    public static readonly Scenario UpdateThenGetOwnProfile = async (client, i) =>
    {
        var bio = $"bio {i} {Guid.NewGuid():N}";
        var profile = (await client.PutProfileAsync($"user {i}", bio)).Body;
        // A 404 here would be the staleness too: a replica that has not yet seen the user's first profile.
        var read = await client.GetProfileOrNotFoundAsync(profile.Id);
        return (read.Body?.Bio == bio, read.Source, read.Reason);
    };

    /// <summary>Add a product to my cart, then view the cart: the new line must be there with its quantity.</summary>
    public static readonly Scenario AddToCartThenViewCart = async (client, i) =>
    {
        var productId = i + 1;
        var quantity = i % 5 + 1;
        await client.AddToCartAsync(productId, quantity);
        var read = await client.GetCartAsync();
        return (read.Body.Items.Any(item => item.ProductId == productId && item.Quantity == quantity), read.Source, read.Reason);
    };
}
