namespace OrleansRaw.ReadYourWrites;

/// <summary>Hears of every read as it is served (the app's own figures, such as a primary read share).</summary>
public interface IReadServedListener
{
    /// <summary>A read ran on <paramref name="source"/> (<c>primary</c> or <c>replica:NAME</c>) for <paramref name="reason"/>.</summary>
    void ReadServed(string source, string reason);
}
