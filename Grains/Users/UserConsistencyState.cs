namespace OrleansRaw.Grains.Users;

/// <summary>A user's persisted consistency state: the latest write recorded and how many writes.</summary>
[GenerateSerializer, Alias("OrleansRaw.Grains.UserConsistencyState")]
public sealed class UserConsistencyState
{
    [Id(0)]
    public WriteRecord? LastWrite { get; set; }

    [Id(1)]
    public long Writes { get; set; }
}
