using System.Reflection;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>
/// A grain factory whose grains all fail every call, as while a silo is down: an API built with it commits writes but
/// cannot record them, so each write answers 503 + Retry-After.
/// </summary>
// DispatchProxy derives a proxy type from this class at run time, so it cannot be sealed.
public class UnreachableGrains : DispatchProxy
{
    public static IGrainFactory Create() => Create<IGrainFactory, UnreachableGrains>();

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        targetMethod is { ReturnType.IsInterface: true } && typeof(IAddressable).IsAssignableFrom(targetMethod.ReturnType)
            ? DispatchProxy.Create(targetMethod.ReturnType, typeof(UnreachableGrain))
            : throw new NotSupportedException($"{nameof(UnreachableGrains)} supports getting grains only, not {targetMethod?.Name}.");

    /// <summary>A grain reference whose calls fail as a call to a dead silo would.</summary>
    public class UnreachableGrain : DispatchProxy
    {
        private static readonly MethodInfo FromException = typeof(Task).GetMethods()
            .Single(m => m is { Name: nameof(Task.FromException), IsGenericMethod: true });

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            var error = new TimeoutException("the grain's silo is unreachable (test)");
            return targetMethod?.ReturnType switch
            {
                { } t when t == typeof(Task) => Task.FromException(error),
                { } t when t == typeof(ValueTask) => ValueTask.FromException(error),
                { IsGenericType: true } t when t.GetGenericTypeDefinition() == typeof(Task<>) =>
                    FromException.MakeGenericMethod(t.GetGenericArguments()[0]).Invoke(null, [error]),
                _ => throw error,
            };
        }
    }
}
