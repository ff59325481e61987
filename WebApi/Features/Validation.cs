using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace OrleansRaw.WebApi.Features;

/// <summary>Small input checks shared by the endpoints, each answering a ValidationProblem naming the field.</summary>
internal static class Validation
{
    /// <summary>A required text of <paramref name="min"/>–<paramref name="max"/> characters (counted as text elements), free of NUL.</summary>
    public static ValidationProblem? Text(string? value, string field, int min, int max)
    {
        if (value is null)
        {
            return min == 0 ? null : Problem(field, $"'{field}' is required.");
        }

        var length = new StringInfo(value).LengthInTextElements;
        if (length < min || length > max || value.Length > max * 4)
        {
            return Problem(field, $"'{field}' must be {min} to {max} characters long.");
        }

        if (!IsWellFormed(value))
        {
            return Problem(field, $"'{field}' is not well-formed Unicode.");
        }

        if (value.Contains('\0'))
        {
            return Problem(field, $"'{field}' must not contain NUL characters.");
        }

        if (min > 0 && string.IsNullOrWhiteSpace(value))
        {
            return Problem(field, $"'{field}' must not be blank.");
        }

        return null;
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // A lone surrogate survives JSON parsing but cannot be stored as UTF-8 text.
    private static bool IsWellFormed(string value)
    {
        try
        {
            StrictUtf8.GetByteCount(value);
            return true;
        }
        catch (System.Text.EncoderFallbackException)
        {
            return false;
        }
    }

    public static ValidationProblem? Range(long value, string field, long min, long max) =>
        value < min || value > max ? Problem(field, $"'{field}' must be between {min} and {max}.") : null;

    public static ValidationProblem Problem(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
