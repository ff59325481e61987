using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Kiota.Abstractions;
using OrleansRaw.Client.Models;

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

    /// <summary>
    /// Asserts that <paramref name="call"/>, a call of the generated client, failed with a ProblemDetails of
    /// <paramref name="status"/> (the generated client throws it as the document's problem type), and returns it.
    /// </summary>
    public static async Task<ApiException> ThrowsAsync(Func<Task> call, HttpStatusCode status)
    {
        var problem = await Assert.ThrowsAnyAsync<ApiException>(call);
        AssertThrown(problem, status);
        return problem;
    }

    /// <summary>Asserts <paramref name="problem"/>, thrown by the generated client, is a ProblemDetails with <paramref name="status"/>.</summary>
    public static void AssertThrown(ApiException problem, HttpStatusCode status)
    {
        Assert.True(problem.ResponseStatusCode == (int)status, $"expected {(int)status}, got {problem.ResponseStatusCode}: {problem.Message}");
        var contentType = problem.ResponseHeaders.TryGetValue("Content-Type", out var values) ? values.Single() : null;
        Assert.True(contentType is not null && MediaTypeHeaderValue.Parse(contentType).MediaType == "application/problem+json",
            $"expected a problem+json body, got '{contentType}': {problem.Message}");
        // The document maps the status to a problem type, so the body was read as one; its own status must agree.
        var bodyStatus = problem switch
        {
            ProblemDetails details => details.Status,
            HttpValidationProblemDetails validation => validation.Status,
            _ => throw new Xunit.Sdk.XunitException($"{(int)status} is not a problem the document describes: {problem.GetType().Name}: {problem.Message}"),
        };
        Assert.Equal((int)status, bodyStatus);
    }
}
