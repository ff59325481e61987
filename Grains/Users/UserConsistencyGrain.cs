namespace OrleansRaw.Grains.Users;

/// <summary>
/// Holds one user's last write and how far their reads reached, and lends that state to API servers so they route
/// the user's reads without a call here. Nothing is stored outside this activation: the protocol itself lives in
/// <see cref="LeaseGrantor"/>, which this grain runs in Orleans' turns (one call at a time; reports and views
/// interleave), and an activation starts from positions at or past everything an earlier one could have lent, so
/// losing an activation (a silo's death, idle deactivation) makes the user's next reads more careful, never stale.
/// </summary>
[GrainDirectory(Hosting.SingleActivation.DirectoryName)]
internal sealed class UserConsistencyGrain : Grain, IUserConsistencyGrain, ILeaseGrantorHost
{
    // A silo holds one of these per active user, so every field counts: the services sit behind one reference, and
    // the activation's own id (Orleans holds it anyway) is the epoch of the leases it grants.
    private readonly UserGrainServices _services;
    private readonly LeaseGrantor _grantor;

    public UserConsistencyGrain(UserGrainServices services)
    {
        _services = services;
        _grantor = new LeaseGrantor(this);
    }

    string ILeaseGrantorHost.UserId => this.GetPrimaryKeyString();

    ActivationId ILeaseGrantorHost.Epoch => GrainContext.ActivationId;

    UserGrainServices ILeaseGrantorHost.Services => _services;

    public override Task OnActivateAsync(CancellationToken cancellationToken) => _grantor.ActivateAsync(cancellationToken);

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _grantor.DeactivateAsync();

    public Task<ReaderLease?> RecordWriteAsync(WriteRecord write, IReaderLeaseHolder? writer, LeaseReport report) =>
        _grantor.RecordWriteAsync(write, writer, report);

    public Task<ReaderLease> LeaseAsync(IReaderLeaseHolder holder, LeaseReport report) => _grantor.LeaseAsync(holder, report);

    public Task ReportServedAsync(LeaseReport report, IReaderLeaseHolder reporter) => _grantor.ReportServedAsync(report, reporter);

    public Task ReportAsync(LeaseReport report)
    {
        _grantor.Report(report);
        return Task.CompletedTask;
    }

    public Task<UserConsistencyView> GetViewAsync()
    {
        var (reader, writes) = _grantor.View;
        return Task.FromResult(new UserConsistencyView(this.GetPrimaryKeyString(), new WriteRecord(reader.LastWrite.Position, reader.LastWrite.At), writes,
            RuntimeIdentity, WalPosition.Latest(reader.SeenOwn.Position, reader.SeenOthers.Position)));
    }
}
