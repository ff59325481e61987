using System.Reflection;

namespace OrleansRaw.WebApi.Hosting;

/// <summary>
/// The grain factory of the benchmark's <see cref="DirectBaseline"/>, which runs without an Orleans cluster: services
/// that take a grain factory can still be built, and any call on it fails with a clear message.
/// </summary>
// DispatchProxy derives a proxy type from this class at run time, so it cannot be sealed.
internal class NoClusterGrainFactory : DispatchProxy
{
    public static IGrainFactory Create() => Create<IGrainFactory, NoClusterGrainFactory>();

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        throw new InvalidOperationException(
            $"{DirectBaseline.Setting}={DirectBaseline.Name} is set: the API has no Orleans cluster, so it cannot call {nameof(IGrainFactory)}.{targetMethod?.Name}.");
}
