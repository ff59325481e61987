namespace OrleansRaw.Grains.Users;

/// <summary>A user's persisted consistency state: the latest write recorded and how many writes.</summary>
[GenerateSerializer, Alias("OrleansRaw.Grains.UserConsistencyState")]
public sealed class UserConsistencyState
{
    [Id(0)]
    public WriteRecord? LastWrite { get; set; }

    [Id(1)]
    public long Writes { get; set; }

    /// <summary>The newest position the user was served, as of the last save (it is saved lazily).</summary>
    [Id(2)]
    public Lsn Seen { get; set; }
}
