using Orleans.Concurrency;

namespace OrleansRaw;

/// <summary>One user's read-your-writes state: their last write, and where their reads may run. Key: the user id.</summary>
[Alias("OrleansRaw.IUserConsistencyGrain")]
public interface IUserConsistencyGrain : IGrainWithIntegerKey
{
    /// <summary>Records a committed write; the write is acknowledged to the client only after this returns.</summary>
    [Alias("RecordWriteAsync")]
    Task RecordWriteAsync(WriteRecord write);

    /// <summary>Decides where one of this user's reads runs, waiting briefly for a replica when the policy allows.</summary>
    [AlwaysInterleave, Alias("RouteReadAsync")]
    Task<RoutingDecision> RouteReadAsync(ReadRequest request);

    /// <summary>Notes the position a read served the user at, the replica that served it (null: the primary), and whether it read the user's own data; one-way.</summary>
    [OneWay, AlwaysInterleave, Alias("NoteSeenAsync")]
    Task NoteSeenAsync(WalPosition servedAt, string? replica, bool ownData);

    /// <summary>Returns what the grain remembers about the user.</summary>
    [AlwaysInterleave, Alias("GetViewAsync")]
    Task<UserConsistencyView> GetViewAsync();
}
