using System.Net;
using System.Text.Json;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// The contract's discoverable parts: the OpenAPI document, the health probes and the replica snapshot. The OpenAPI
/// document itself and the probes are not described in it, so those are read raw.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ContractTests(SystemFixture fixture)
{
    // Every endpoint of the public contract, by path and method.
    private static readonly Dictionary<string, string[]> ContractEndpoints = new()
    {
        ["/api/auth/dev-token"] = ["post"],
        ["/api/posts"] = ["get", "post"],
        ["/api/posts/{id}"] = ["get"],
        ["/api/users/{userId}/posts"] = ["get"],
        ["/api/feed"] = ["get"],
        ["/api/profile"] = ["put"],
        ["/api/profile/{userId}"] = ["get"],
        ["/api/cart/items"] = ["post"],
        ["/api/cart/items/{productId}"] = ["delete"],
        ["/api/cart"] = ["get"],
        ["/api/replicas"] = ["get"],
    };

    private static readonly string[] ObservabilityEndpoints = ["/api/dev/replicas/lag", "/api/dev/replicas/{name}/lag"];

    [Fact]
    public async Task OpenApiDocument_ListsEveryEndpointOfTheContract()
    {
        using var client = fixture.Default.CreateClient();
        using var response = await client.Http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var listed = document.RootElement.GetProperty("paths").EnumerateObject().ToDictionary(
            path => path.Name,
            path => path.Value.EnumerateObject().Select(operation => operation.Name).Where(name => name != "parameters").Order().ToArray());
        foreach (var (path, methods) in ContractEndpoints)
        {
            Assert.True(listed.TryGetValue(path, out var documented), $"{path} is not in the OpenAPI document; it lists: {string.Join(", ", listed.Keys)}");
            Assert.Equal(methods.Order(), documented);
        }

        // Beyond the contract only the development lag control.
        Assert.Empty(listed.Keys.Except(ContractEndpoints.Keys).Except(ObservabilityEndpoints));
    }

    [Fact]
    public async Task LiveProbe_Is200()
    {
        using var client = fixture.Default.CreateClient();
        using var response = await client.Http.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ReadyProbe_Is200_WithAJsonReport()
    {
        using var client = fixture.Default.CreateClient();
        using var response = await client.Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        // What a load balancer needs and nothing more: replica lag and read shares are alerts, not readiness.
        Assert.Equal("Healthy", report.RootElement.GetProperty("status").GetString());
        Assert.Equal(["cluster"], report.RootElement.GetProperty("checks").EnumerateObject().Select(c => c.Name));
        var cluster = report.RootElement.GetProperty("checks").GetProperty("cluster");
        Assert.Equal("Healthy", cluster.GetProperty("status").GetString());
        Assert.Equal(2, cluster.GetProperty("data").GetProperty("healthyReplicas").GetInt32());
    }

    [Fact]
    public async Task Replicas_ShowThePrimaryPosition_AndBothReplicas()
    {
        using var client = fixture.Default.CreateClient();
        var answer = await client.GetReplicasAsync();
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var view = answer.Body;

        var primaryLsn = Lsn.Parse(view.PrimaryLsn!);
        Assert.True(primaryLsn > Lsn.Zero);
        var replicas = view.Replicas!;
        Assert.Equal(["replica-1", "replica-2"], replicas.Select(r => r.Name).Order());
        foreach (var replica in replicas)
        {
            Assert.True(replica.Healthy);
            // Not compared with primaryLsn: the monitor samples the primary first, so a replica may be sampled a write later.
            Assert.True(Lsn.Parse(replica.ReplayLsn!) > Lsn.Zero);
            Assert.True(replica.LagMs >= 0);
            Assert.True(replica.LagBytes >= 0);
            Assert.NotNull(replica.SampledAt);
            Assert.InRange(replica.SampledAt.Value, DateTimeOffset.UtcNow.AddSeconds(-30), DateTimeOffset.UtcNow.AddSeconds(5));
        }
    }
}
