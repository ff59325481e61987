namespace OrleansRaw.Grains.Hosting;

/// <summary>Names of the grain-storage providers the grains need; the host registers them.</summary>
public static class StorageNames
{
    /// <summary>Durable storage for users' consistency state (Redis in the silo host).</summary>
    public const string Consistency = "consistency";
}
