namespace OrleansRaw.Bench.Scale;

/// <summary>
/// Stands for the one API server that holds the benchmark's users' leases. No other server ever serves them, so no
/// grain asks it to share a lease or give one up; if one did, it has nothing to report.
/// </summary>
internal sealed class SoleLeaseHolder : IReaderLeaseHolder
{
    public Task<LeaseReport> RevokeAsync(string userId, ActivationId epoch, long version) => Task.FromResult(LeaseReport.None);

    public Task<LeaseReport> ShareAsync(string userId) => Task.FromResult(LeaseReport.None);
}
