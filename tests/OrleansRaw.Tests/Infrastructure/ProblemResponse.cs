using System.Net;
using System.Text.Json;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>Checks the contract's error shape: the expected status with an <c>application/problem+json</c> body.</summary>
public static class ProblemResponse
{
    /// <summary>Asserts <paramref name="response"/> is a ProblemDetails with <paramref name="status"/> and returns its body.</summary>
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        var request = $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}";
        Assert.True(response.StatusCode == status, $"{request}: expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
            $"{request}: expected a problem+json body, got '{response.Content.Headers.ContentType}': {body}");
        using var document = JsonDocument.Parse(body);
        Assert.Equal((int)status, document.RootElement.GetProperty("status").GetInt32());
        return document.RootElement.Clone();
    }
}
