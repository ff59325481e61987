using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Client;

/// <summary>
/// A client that exits and starts again keeps reading its own writes through the token its handler persisted. Each
/// post and each read is a new <c>ClientCli</c> process, with replicas 5 s behind. The reads alternate between the
/// API that took the write and an API of another Orleans cluster on the same databases (another ServiceId, so its
/// user grains never heard of the write): only the token can tell that API what the client already wrote and saw.
/// Without the handler the same reads there go back in time. The client read on the other API once before its first
/// post, as a user who was there before: that cluster's grain then knows the user from before every post, so its API
/// reads them on a replica. A grain activated after a post starts at the primary's position instead, and monotonic
/// reads keep that API's later reads on the primary while the replicas are behind: fresh, and the control proves nothing.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class PersistedTokenTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const int Rounds = 5;

    // The last read of a round starts three processes after the post; a process takes 0.2 s to 1 s on a loaded
    // machine, so at 2 s the replicas sometimes had the post by then and the control's reads could not go back.
    private static readonly TimeSpan Lag = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task ARestartedClient_WithThePersistedToken_ReadsEveryPost_OnBothServers_At5sLag()
    {
        var result = await PostThenReadInNewProcessesAsync(Path.Combine(Directory.CreateTempSubdirectory("orleansraw-tokens-").FullName, "tokens.json"));
        output.WriteLine($"with the handler's token file: {result}");
        Assert.Equal(0, result.Stale);
    }

    [Fact]
    public async Task ARestartedClient_WithoutTheHandler_GoesBackInTime_OnTheOtherServer_At5sLag()
    {
        var result = await PostThenReadInNewProcessesAsync(tokenFile: "-");
        output.WriteLine($"without the handler: {result}");
        // The replicas must have lacked the posts, or the run proves nothing.
        Assert.True(result.ReplicaLacked > 0, "replica-1 had every post right after it was written: the replicas were not behind");
        Assert.True(result.WentBack > 0, $"no read on the other cluster's API went back in time: {result}");
    }

    private sealed record Result(int Reads, int Stale, int StaleOnOther, int WentBack, int ReplicaLacked)
    {
        public override string ToString() =>
            $"{Rounds} posts, {Reads} reads in new processes: {Stale} missed the client's post ({StaleOnOther} on the other cluster's API), "
            + $"{WentBack} after an earlier read had shown it; replica-1 lacked {ReplicaLacked} of the posts right after they were written";
    }

    private async Task<Result> PostThenReadInNewProcessesAsync(string tokenFile)
    {
        var other = await fixture.DeploymentAsync("other-cluster", new Dictionary<string, string?>());
        await using var home = LoopbackApi.Start(fixture.Default);
        await using var away = LoopbackApi.Start(other);
        using var user = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var jwt = user.Http.DefaultRequestHeaders.Authorization!.Parameter!;

        // Before the lag and the first post: the other cluster's grain for the user activates now, and its API's read
        // runs on a replica, so the positions it knows of the user all lie before every post.
        await RunAsync(jwt, away.BaseAddress, tokenFile, "read");
        await fixture.Db.SetLagAsync(Lag);
        try
        {
            var (reads, stale, staleOnOther, wentBack, replicaLacked) = (0, 0, 0, 0, 0);
            for (var round = 0; round < Rounds; round++)
            {
                var id = (await RunAsync(jwt, home.BaseAddress, tokenFile, "post", $"round {round}")).Single();
                await using (var replica = await fixture.Db.Replica1.OpenConnectionAsync())
                {
                    await using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM posts WHERE id = @id", replica);
                    command.Parameters.AddWithValue("id", long.Parse(id, System.Globalization.CultureInfo.InvariantCulture));
                    replicaLacked += (long)(await command.ExecuteScalarAsync())! == 0 ? 1 : 0;
                }
                var shown = false;
                // The other cluster's API first, then back: a read that shows the post, then one that does not, is a
                // read going back in time.
                foreach (var (api, isOther) in new[] { (away, true), (home, false), (away, true) })
                {
                    reads++;
                    if ((await RunAsync(jwt, api.BaseAddress, tokenFile, "read")).Contains(id))
                    {
                        shown = true;
                        continue;
                    }

                    stale++;
                    staleOnOther += isOther ? 1 : 0;
                    wentBack += shown ? 1 : 0;
                }
            }

            return new Result(reads, stale, staleOnOther, wentBack, replicaLacked);
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    private static async Task<string[]> RunAsync(string jwt, Uri api, string tokenFile, params string[] action)
    {
        var (exitCode, stdout) = await ClientProcess.RunAsync(jwt, [api.ToString(), tokenFile, .. action]);
        Assert.True(exitCode == 0, $"ClientCli {string.Join(' ', action)} failed (exit {exitCode}):\n{stdout}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
