namespace OrleansRaw.Grains.Hosting;

/// <summary>The grain directory that keeps each of our grains to one activation in the cluster.</summary>
internal static class SingleActivation
{
    /// <summary>
    /// The name under which <see cref="SiloBuilderExtensions.AddOrleansRawGrains"/> registers Orleans' strongly
    /// consistent directory, and which our grain classes name in <c>[GrainDirectory]</c>.
    /// </summary>
    public const string DirectoryName = "orleansraw";
}
