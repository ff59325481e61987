using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Keeps the body of a request with an <c>Idempotency-Key</c> readable after binding, for its fingerprint; added at the
/// head of the app's pipeline by <c>AddReadYourWrites</c>, so there is no pipeline step for the app to forget.
/// Requests without the header are not touched.
/// </summary>
internal sealed class KeyedBodyBuffering(IOptions<IdempotencyOptions> options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var threshold = (int)Math.Min(options.Value.InMemoryBodyBytes, int.MaxValue);
        app.Use((context, nextStep) =>
        {
            if (context.Request.Headers.ContainsKey(IdempotencyHeaders.Key))
            {
                context.Request.EnableBuffering(bufferThreshold: threshold);
            }

            return nextStep(context);
        });
        next(app);
    };
}
