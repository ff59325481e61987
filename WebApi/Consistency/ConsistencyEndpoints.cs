namespace OrleansRaw.WebApi.Consistency;

/// <summary>
/// How an endpoint declares what it does with user data; routing and write tracking follow from the declaration,
/// so no handler asks for a route or records a write itself (the brief's "forgot to pass the session" foot-gun).
/// </summary>
public static class ConsistencyEndpoints
{
    /// <summary>The endpoint reads data owned by the user <paramref name="owner"/> returns (null: owned by no one user).</summary>
    public static TBuilder ReadsUserData<TBuilder>(this TBuilder builder, Func<HttpContext, long?> owner)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory((_, next) => new ReadRoutingFilter(owner).Wrap(next));

    /// <summary>The endpoint reads the caller's own data.</summary>
    public static TBuilder ReadsCallerData<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.ReadsUserData(context => Auth.CurrentUser.Id(context.User));

    /// <summary>The endpoint reads data no single user owns (a global feed): eventual.</summary>
    public static TBuilder ReadsSharedData<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.ReadsUserData(_ => null);

    /// <summary>
    /// The endpoint writes the caller's data on the primary; the write is recorded before the response leaves, and a
    /// request with an <c>Idempotency-Key</c> is written at most once (the tracking filter wraps the idempotency one, so
    /// a replay is recorded like a write).
    /// </summary>
    public static TBuilder WritesCallerData<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireRateLimiting(Hosting.RateLimitOptions.WritesPolicy)
            .AddEndpointFilterFactory((_, next) => WriteTrackingFilter.Wrap(next))
            .AddEndpointFilter<TBuilder, Idempotency.IdempotencyFilter>();
}
