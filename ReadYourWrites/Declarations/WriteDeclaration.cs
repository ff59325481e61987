namespace OrleansRaw.ReadYourWrites;

/// <summary>An endpoint's declaration that it writes the caller's data: its write is recorded before the response leaves.</summary>
internal sealed class WriteDeclaration
{
    private WriteDeclaration(bool newUser) => NewUser = newUser;

    /// <summary>The signed-in caller's data.</summary>
    public static WriteDeclaration CallerData { get; } = new(newUser: false);

    /// <summary>A new user's data, written by a request that signs them in (sets <see cref="HttpContext.User"/>).</summary>
    public static WriteDeclaration NewUserData { get; } = new(newUser: true);

    /// <summary>True for <see cref="NewUserData"/>: the writer is the user the handler signed in, not the caller who came in.</summary>
    internal bool NewUser { get; }
}
