namespace OrleansRaw.WebApi.Idempotency;

/// <summary>Registers <c>Idempotency-Key</c> support: options, the expired-key cleanup, and body buffering for keyed requests.</summary>
public static class IdempotencyHosting
{
    public static IServiceCollection AddIdempotencyKeys(this IServiceCollection services)
    {
        services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddHostedService<ExpiredKeyCleanup>();
        return services;
    }

    /// <summary>
    /// Keeps the body of a request that carries an <c>Idempotency-Key</c> readable after binding, for its fingerprint.
    /// Requests without the header are not touched.
    /// </summary>
    public static IApplicationBuilder UseIdempotencyKeys(this IApplicationBuilder app, long maxBodyBytes) =>
        app.Use((context, next) =>
        {
            if (context.Request.Headers.ContainsKey(IdempotencyHeaders.Key))
            {
                context.Request.EnableBuffering(bufferThreshold: (int)maxBodyBytes);
            }

            return next(context);
        });
}
