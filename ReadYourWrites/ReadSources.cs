namespace OrleansRaw.ReadYourWrites;

/// <summary>The values of <c>X-Read-Source</c>.</summary>
public static class ReadSources
{
    /// <summary>The read ran on the primary.</summary>
    public const string Primary = "primary";

    /// <summary>The read ran on the replica <paramref name="name"/> (its configured name): <c>replica:NAME</c>.</summary>
    public static string Replica(string name) => "replica:" + name;
}
