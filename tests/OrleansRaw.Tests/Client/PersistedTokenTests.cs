using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Client;

/// <summary>
/// A client that exits and starts again keeps reading its own writes through the token its handler persisted. Each
/// post and each read is a new <c>ClientCli</c> process, with replicas 2 s behind. The reads alternate between the
/// API that took the write and an API of another Orleans cluster on the same databases (another ServiceId, so its
/// user grains never heard of the write): only the token can tell that API what the client already wrote and saw.
/// Without the handler the same reads there go back in time.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class PersistedTokenTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const int Rounds = 5;

    [Fact]
    public async Task ARestartedClient_WithThePersistedToken_ReadsEveryPost_OnBothServers_At2sLag()
    {
        var result = await PostThenReadInNewProcessesAsync(Path.Combine(Directory.CreateTempSubdirectory("orleansraw-tokens-").FullName, "tokens.json"));
        output.WriteLine($"with the handler's token file: {result}");
        Assert.Equal(0, result.Stale);
    }

    [Fact]
    public async Task ARestartedClient_WithoutTheHandler_GoesBackInTime_OnTheOtherServer_At2sLag()
    {
        var result = await PostThenReadInNewProcessesAsync(tokenFile: "-");
        output.WriteLine($"without the handler: {result}");
        Assert.True(result.WentBack > 0, "no read without a token lost a post an earlier read showed: the replicas were not behind");
    }

    private sealed record Result(int Reads, int Stale, int StaleOnOther, int WentBack)
    {
        public override string ToString() =>
            $"{Rounds} posts, {Reads} reads in new processes: {Stale} missed the client's post ({StaleOnOther} on the other cluster's API), "
            + $"{WentBack} after an earlier read had shown it";
    }

    private async Task<Result> PostThenReadInNewProcessesAsync(string tokenFile)
    {
        var other = await fixture.DeploymentAsync("other-cluster", new Dictionary<string, string?>());
        await using var home = LoopbackApi.Start(fixture.Default);
        await using var away = LoopbackApi.Start(other);
        using var user = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var jwt = user.Http.DefaultRequestHeaders.Authorization!.Parameter!;

        await fixture.Db.SetLagAsync(TimeSpan.FromSeconds(2));
        try
        {
            var (reads, stale, staleOnOther, wentBack) = (0, 0, 0, 0);
            for (var round = 0; round < Rounds; round++)
            {
                var id = (await RunAsync(jwt, home.BaseAddress, tokenFile, "post", $"round {round}")).Single();
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

            return new Result(reads, stale, staleOnOther, wentBack);
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
