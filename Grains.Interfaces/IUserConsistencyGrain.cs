using Orleans.Concurrency;

namespace OrleansRaw;

/// <summary>One user's read-your-writes state: their last write, and where their reads may run. Key: the user id.</summary>
[Alias("OrleansRaw.IUserConsistencyGrain")]
public interface IUserConsistencyGrain : IGrainWithIntegerKey
{
    /// <summary>Records a committed write, revoking every other server's lease first; returns a fresh lease to <paramref name="writer"/> when it names itself.</summary>
    [Alias("RecordWriteAsync")]
    Task<ReaderLease?> RecordWriteAsync(WriteRecord write, IReaderLeaseHolder? writer = null);

    /// <summary>Lends the user's reader state to <paramref name="holder"/>, merging what it served them under its previous lease.</summary>
    [Alias("LeaseAsync")]
    Task<ReaderLease> LeaseAsync(IReaderLeaseHolder holder, SeenPositions served);

    /// <summary>Decides where one of this user's reads runs, on the silo.</summary>
    [AlwaysInterleave, Alias("RouteReadAsync")]
    Task<RoutingDecision> RouteReadAsync(ReadRequest request);

    /// <summary>Notes how far reads served the user reached.</summary>
    [AlwaysInterleave, Alias("NoteSeenAsync")]
    Task NoteSeenAsync(SeenPositions served);

    /// <summary>Returns what the grain remembers about the user.</summary>
    [AlwaysInterleave, Alias("GetViewAsync")]
    Task<UserConsistencyView> GetViewAsync();
}
