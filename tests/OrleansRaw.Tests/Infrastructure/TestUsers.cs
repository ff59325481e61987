namespace OrleansRaw.Tests.Infrastructure;

/// <summary>User ids for tests: random and large, so that runs against the same database never share a user.</summary>
public static class TestUsers
{
    public static long NewId() => Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);
}
