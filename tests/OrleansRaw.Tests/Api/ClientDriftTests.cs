using System.Net;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// The committed client's document, <c>clients/openapi.json</c>, is the one the API serves: failing means the API
/// changed without <c>scripts/generate-client</c> being run (<see cref="GeneratedClientTests"/> checks the code).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ClientDriftTests(SystemFixture fixture)
{
    public const string Fix = "run scripts/generate-client and commit clients/";
    public static readonly string Document = Path.Combine(RepoPaths.Root, "clients", "openapi.json");

    [Fact]
    public async Task CommittedDocument_IsTheServedDocument()
    {
        using var http = fixture.Default.Api.CreateClient();
        using var response = await http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var served = await response.Content.ReadAsStringAsync();

        // scripts/generate-client runs this test with ORLEANSRAW_SAVE_OPENAPI=1 to save the served document.
        if (Environment.GetEnvironmentVariable("ORLEANSRAW_SAVE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(Document, served);
        }

        var committed = await File.ReadAllTextAsync(Document);
        Assert.True(served == committed, $"clients/openapi.json differs from the document the API serves: {Fix}");
    }
}
