using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Observability;

/// <summary>
/// Outside Development the operator's endpoints (<c>/dashboard</c>, whose log stream shows user ids and errors, and
/// <c>/metrics</c>) are off unless configured: served to anyone, or only to a bearer token with the operator role.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class OperatorEndpointsTests(SystemFixture fixture)
{
    // A key of this run only: a key published in the repository is refused outside Development.
    private readonly string _key = "run-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");

    public static TheoryData<string?, string, HttpStatusCode, HttpStatusCode, HttpStatusCode> Cases => new()
    {
        // exposure (unset = the default), path, anonymous, signed-in user, operator
        { null, "/metrics", HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound },
        { null, "/dashboard/", HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound },
        { null, "/dashboard/DashboardCounters", HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound },
        { "Operators", "/metrics", HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.OK },
        { "Operators", "/dashboard/", HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.OK },
        { "Operators", "/dashboard/DashboardCounters", HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.OK },
        { "Open", "/metrics", HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK },
        { "Open", "/dashboard/", HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task InProduction_OperatorEndpoints_AreOffUnlessConfigured(
        string? exposure, string path, HttpStatusCode anonymous, HttpStatusCode user, HttpStatusCode @operator)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["environment"] = "Production",
            ["Auth:EnableDevTokens"] = "false",
            ["Auth:SigningKey"] = _key,
        };
        if (exposure is not null)
        {
            overrides["Observability:Dashboard"] = exposure;
            overrides["Observability:Metrics"] = exposure;
        }

        await using var api = new Deployment.ApiFactory(fixture.Default.Cluster.Client, Deployment.BaseSettings(overrides));
        using var http = api.CreateClient();

        Assert.Equal(anonymous, await StatusAsync(http, path, token: null));
        Assert.Equal(user, await StatusAsync(http, path, Token(role: null)));
        Assert.Equal(@operator, await StatusAsync(http, path, Token(role: "operator")));
    }

    [Fact]
    public async Task InDevelopment_OperatorEndpoints_AreOpenByDefault()
    {
        using var http = fixture.Default.Api.CreateClient();
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, "/metrics", token: null));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, "/dashboard/", token: null));
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private string Token(string? role)
    {
        var claims = new Dictionary<string, object> { ["sub"] = TestUsers.NewId().ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (role is not null)
        {
            claims["role"] = role;
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "orleansraw",
            Audience = "orleansraw",
            Expires = DateTime.UtcNow.AddMinutes(5),
            Claims = claims,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(_key)), SecurityAlgorithms.HmacSha256),
        });
    }
}
