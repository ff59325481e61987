namespace OrleansRaw.ReadYourWrites;

/// <summary>The HTTP headers of the consistency contract.</summary>
public static class ConsistencyHeaders
{
    /// <summary>Response: <c>primary</c> or <c>replica:NAME</c>.</summary>
    public const string ReadSource = "X-Read-Source";

    /// <summary>Response: the routing decision's reason.</summary>
    public const string Reason = "X-Consistency-Reason";

    /// <summary>Response to a write, and optional request header on reads.</summary>
    public const string Token = "X-Consistency-Token";

    /// <summary>Request: <c>strong</c> forces the primary.</summary>
    public const string ReadConsistency = "X-Read-Consistency";
}
