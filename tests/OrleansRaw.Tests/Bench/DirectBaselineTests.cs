using System.Net;
using Dapper;
using Microsoft.Extensions.Configuration;
using OrleansRaw.Tests.Infrastructure;
using OrleansRaw.WebApi.Hosting;

namespace OrleansRaw.Tests.Bench;

/// <summary>
/// The benchmark's Direct baseline (<c>Bench:Baseline=Direct</c> in the demo API): the same HTTP contract as the
/// product with no Orleans cluster at all. Any grain call would fail (its grain factory refuses every call), so a
/// request that succeeds asked no grain.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class DirectBaselineTests(SystemFixture fixture)
{
    [Fact]
    public async Task DirectBaseline_AnswersWritesAndReads_FromThePrimary_WithNoCluster()
    {
        await using var api = new Deployment.ApiFactory(null, Deployment.BaseSettings(new Dictionary<string, string?> { [DirectBaseline.Setting] = "Direct" }));
        using var client = ApiClient.For(api);
        var userId = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);
        await client.SignInAsync(userId);

        var post = await client.CreatePostAsync("direct baseline");
        Assert.Equal(HttpStatusCode.Created, post.Status);
        Assert.NotNull(post.Token); // the write's token, as the product hands it out, though no grain recorded the write

        var own = await client.GetPostsAsync(post.Token);
        Assert.Contains(own.Body, p => p.Id == post.Body.Id);
        Assert.Equal(("primary", DirectBaseline.Reason), (own.Source, own.Reason));
        var strong = await client.GetPostsAsync(strong: StrongRead.Query);
        Assert.Equal(("primary", DirectBaseline.Reason), (strong.Source, strong.Reason));

        await using var primary = await fixture.Db.Primary.OpenConnectionAsync();
        Assert.Equal(1, await primary.ExecuteScalarAsync<int>("SELECT count(*) FROM posts WHERE user_id = @userId", new { userId }));
        var ready = await client.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }
}

/// <summary>The baseline is asked for by one setting with one value; anything else fails at start, saying what to set.</summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class DirectBaselineSettingTests
{
    [Theory]
    [InlineData("Consistency:Direct", "true", "Bench:Baseline=Direct")]
    [InlineData(DirectBaseline.Setting, "Eventual", "the only baseline is Direct")]
    public void AStaleOrUnknownBaselineSetting_FailsAtStart_NamingTheFix(string key, string value, string fix)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => DirectBaseline.IsRequested(configuration));
        Assert.Contains(fix, error.Message);
    }
}
