using Microsoft.AspNetCore.Mvc;

namespace OrleansRaw.ReadYourWrites;

/// <summary>A gate's refusal as an MVC result: the problem, as <c>application/problem+json</c>, with its status.</summary>
internal static class ProblemResults
{
    public static ObjectResult ToActionResult(this ProblemDetails problem) =>
        new(problem) { StatusCode = problem.Status, ContentTypes = { "application/problem+json" } };
}
