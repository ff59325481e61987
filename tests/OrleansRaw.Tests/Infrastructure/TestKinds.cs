namespace OrleansRaw.Tests.Infrastructure;

/// <summary>
/// The two kinds of test. Unit tests need no PostgreSQL, Redis or cluster (`./test --unit` runs only them, in
/// seconds); every other test is a system test against the real services that `./test` starts.
/// </summary>
public static class TestKinds
{
    public const string Trait = "Kind";

    public const string Unit = "Unit";
}
