namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// How a minimal-API endpoint declares what it does with user data; routing and write tracking follow from the
/// declaration, so no handler asks for a route or records a write itself, and none can forget to.
/// </summary>
public static class ConsistencyEndpoints
{
    /// <summary>
    /// The endpoint reads data owned by the user <paramref name="owner"/> returns (null: owned by no one user), spelled as
    /// the caller's id claim spells it; an id that is not a valid user id (see <see cref="UserIds"/>) is answered 400.
    /// </summary>
    public static TBuilder ReadsUserData<TBuilder>(this TBuilder builder, Func<HttpContext, string?> owner)
        where TBuilder : IEndpointConventionBuilder =>
        builder.Reads(ReadDeclaration.UserData(owner));

    /// <summary>The endpoint reads the data of the user whose id is the route value <paramref name="routeValue"/> (an invalid user id: 400).</summary>
    public static TBuilder ReadsUserData<TBuilder>(this TBuilder builder, string routeValue)
        where TBuilder : IEndpointConventionBuilder =>
        builder.Reads(ReadDeclaration.UserDataFromRoute(routeValue));

    /// <summary>The endpoint reads the caller's own data.</summary>
    public static TBuilder ReadsCallerData<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.Reads(ReadDeclaration.CallerData);

    /// <summary>
    /// The endpoint reads data no single user owns, or several users' (a global feed, another user's article with the
    /// caller's favorite in it): eventual, but for a signed-in caller never older than their own last write.
    /// </summary>
    public static TBuilder ReadsSharedData<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.Reads(ReadDeclaration.SharedData);

    /// <summary>
    /// The endpoint's reads run on the primary for every caller, signed in or not: data no replica may serve a moment
    /// old, such as the credentials a sign-in checks (a user who has just signed up, or changed their password, signs in
    /// with the new ones at once). Strong reads, on the primary's small pool for them; keep such endpoints few and
    /// rate-limited, as a sign-in is.
    /// </summary>
    public static TBuilder ReadsFromPrimary<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.Reads(ReadDeclaration.PrimaryData);

    /// <summary>
    /// The endpoint creates a user from a request that is not signed in yet (a sign-up), and signs them in by setting
    /// <see cref="HttpContext.User"/> to their principal before it returns; what it writes is recorded as that user's,
    /// so their first reads with the credentials it answers see it. A successful response that signed no one in is an
    /// error, never an unrecorded write.
    /// </summary>
    public static TBuilder WritesNewUserData<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(WriteDeclaration.NewUserData)
            .AddEndpointFilter<TBuilder, WriteDeclarationFilter>()
            .AddEndpointFilter<TBuilder, IdempotencyFilter>();

    /// <summary>
    /// The endpoint writes the caller's data on the primary: an anonymous caller is refused (401) before the handler
    /// runs; the write is recorded before the response leaves, and a
    /// request with an <c>Idempotency-Key</c> is written at most once (recording wraps the key's handling, so a replay
    /// is recorded like a write).
    /// </summary>
    public static TBuilder WritesCallerData<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(WriteDeclaration.CallerData)
            .AddEndpointFilter<TBuilder, WriteDeclarationFilter>()
            .AddEndpointFilter<TBuilder, IdempotencyFilter>();

    private static TBuilder Reads<TBuilder>(this TBuilder builder, ReadDeclaration declaration) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(declaration).AddEndpointFilter<TBuilder, ReadDeclarationFilter>();
}
