using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conduit;

/// <summary>RealWorld's errors: <c>{"errors":{"body":["..."]}}</c>, with 422 for a request that fails validation.</summary>
public static class Problems
{
    public static UnprocessableEntity<ErrorsBody> Invalid(params string[] messages) => TypedResults.UnprocessableEntity(Body(messages));

    public static ErrorsBody Body(params string[] messages) => new(new ErrorList(messages));
}

public sealed record ErrorsBody(ErrorList Errors);

public sealed record ErrorList(string[] Body);

/// <summary>Timestamps as ISO 8601 in UTC, always with milliseconds (RealWorld's clients expect the fraction).</summary>
public sealed class Timestamps : JsonConverter<DateTime>
{
    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTime.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
}
