namespace OrleansRaw.ReadYourWrites;

/// <summary>The values of <c>X-Read-Source</c>.</summary>
public static class ReadSources
{
    public const string Primary = "primary";

    public static string Replica(string name) => "replica:" + name;
}
