using Orleans.Concurrency;

namespace OrleansRaw;

/// <summary>
/// One user's read-your-writes state: their last write, and where their reads may run. Key: the user id as the app's
/// claim gives it, compared ordinally (an integer id is its invariant text, <c>"42"</c>; a GUID its usual text).
/// </summary>
[Alias("OrleansRaw.IUserConsistencyGrain")]
internal interface IUserConsistencyGrain : IGrainWithStringKey
{
    /// <summary>Records a committed write (and what the writing server did under its last lease), revoking every other server's lease first; returns a fresh lease to <paramref name="writer"/> when it names itself.</summary>
    [Alias("RecordWriteAsync")]
    Task<ReaderLease?> RecordWriteAsync(WriteRecord write, IReaderLeaseHolder? writer, LeaseReport report);

    /// <summary>Lends the user's reader state to <paramref name="holder"/>, merging what it wrote and served under its previous lease.</summary>
    [Alias("LeaseAsync")]
    Task<ReaderLease> LeaseAsync(IReaderLeaseHolder holder, LeaseReport report);

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
