namespace OrleansRaw.Tests.Infrastructure;

/// <summary>
/// Shared by every database test: the replicated PostgreSQL, and the default deployment (Lsn mode, two silos).
/// Deployments in other modes are started on first use and kept for the rest of the run.
/// </summary>
public sealed class SystemFixture : IAsyncLifetime
{
    private readonly Dictionary<string, Deployment> _others = [];
    private ReplicatedPostgres? _db;
    private Deployment? _default;

    public ReplicatedPostgres Db => _db ?? throw new InvalidOperationException("fixture not started");

    public Deployment Default => _default ?? throw new InvalidOperationException("fixture not started");

    public async Task InitializeAsync()
    {
        _db = await ReplicatedPostgres.StartAsync();
        _default = await Deployment.StartAsync(silos: 2);
    }

    /// <summary>A one-silo deployment with the given Consistency settings, started once and reused.</summary>
    public async Task<Deployment> DeploymentAsync(string name, IDictionary<string, string?> overrides)
    {
        if (!_others.TryGetValue(name, out var deployment))
        {
            deployment = await Deployment.StartAsync(silos: 1, overrides);
            _others[name] = deployment;
        }

        return deployment;
    }

    public async Task DisposeAsync()
    {
        foreach (var deployment in _others.Values)
        {
            await deployment.DisposeAsync();
        }

        if (_default is not null)
        {
            await _default.DisposeAsync();
        }

        if (_db is not null)
        {
            await _db.DisposeAsync();
        }
    }
}

/// <summary>Every test that touches PostgreSQL, Redis or a cluster belongs here: they share one fixture and run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<SystemFixture>
{
    public const string Name = "system";
}
