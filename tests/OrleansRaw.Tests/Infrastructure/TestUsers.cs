using System.Globalization;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>User ids for tests: random and large, so that runs against the same database never share a user.</summary>
public static class TestUsers
{
    /// <summary>A new numeric id, as the demo's tables and development tokens take them.</summary>
    public static long NewId() => Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);

    /// <summary>The library's id of the demo's user <paramref name="id"/>: its invariant text, as the tokens' <c>sub</c> spells it.</summary>
    public static string Key(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>A new user id as the library takes any: a GUID's text, as ASP.NET Identity's ids are by default.</summary>
    public static string NewKey() => Guid.NewGuid().ToString();
}
