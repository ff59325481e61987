namespace OrleansRaw.ReadYourWrites;

/// <summary>An endpoint's declaration that it writes the caller's data: its write is recorded before the response leaves.</summary>
internal sealed class WriteDeclaration
{
    private WriteDeclaration()
    {
    }

    public static WriteDeclaration CallerData { get; } = new();
}
