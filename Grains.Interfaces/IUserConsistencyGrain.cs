using Orleans.Concurrency;

namespace OrleansRaw;

/// <summary>One user's read-your-writes state: their last write, and where their reads may run. Key: the user id.</summary>
[Alias("OrleansRaw.IUserConsistencyGrain")]
internal interface IUserConsistencyGrain : IGrainWithIntegerKey
{
    /// <summary>Records a committed write (and what the writing server did under its last lease), revoking every other server's lease first; returns a fresh lease to <paramref name="writer"/> when it names itself.</summary>
    [Alias("RecordWriteAsync")]
    Task<ReaderLease?> RecordWriteAsync(WriteRecord write, IReaderLeaseHolder? writer, LeaseReport report);

    /// <summary>Lends the user's reader state to <paramref name="holder"/>, merging what it wrote and served under its previous lease.</summary>
    [Alias("LeaseAsync")]
    Task<ReaderLease> LeaseAsync(IReaderLeaseHolder holder, LeaseReport report);

    /// <summary>Decides where one of this user's reads runs, on the silo (revoking every server's lease first).</summary>
    [Alias("RouteReadAsync")]
    Task<RoutingDecision> RouteReadAsync(ReadRequest request);

    /// <summary>Takes in how far a read served without a valid exclusive copy reached, revoking every other server's exclusive copy first.</summary>
    [Alias("ReportServedAsync")]
    Task ReportServedAsync(LeaseReport report, IReaderLeaseHolder reporter);

    /// <summary>Takes in what an expired copy wrote and served while it was valid.</summary>
    [AlwaysInterleave, Alias("ReportAsync")]
    Task ReportAsync(LeaseReport report);

    /// <summary>Returns what the grain remembers about the user.</summary>
    [AlwaysInterleave, Alias("GetViewAsync")]
    Task<UserConsistencyView> GetViewAsync();
}
