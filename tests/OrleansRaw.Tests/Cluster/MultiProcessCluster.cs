using Microsoft.Extensions.DependencyInjection;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Cluster;

/// <summary>Real silo processes clustered through the test Redis, and the Web API as their Orleans client.</summary>
public sealed class MultiProcessCluster : IAsyncDisposable
{
    private MultiProcessCluster(Dictionary<string, string?> settings)
    {
        Settings = settings;
    }

    public Dictionary<string, string?> Settings { get; }

    public List<SiloProcess> Silos { get; } = [];

    public Deployment.ApiFactory Api { get; private set; } = null!;

    public IGrainFactory Grains => Api.Services.GetRequiredService<IGrainFactory>();

    public static async Task<MultiProcessCluster> StartAsync(int silos, ServiceSet? services = null, IDictionary<string, string?>? overrides = null)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var settings = Deployment.BaseSettings(new Dictionary<string, string?>
        {
            ["Orleans:ClusterId"] = "mp-" + id,
            ["Orleans:ServiceId"] = "orleansraw-mp-" + id,
            ["Orleans:UseHostedClient"] = "true",
        }, services);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var cluster = new MultiProcessCluster(settings);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, silos).Select(_ => cluster.AddSiloAsync()));
            cluster.Api = new Deployment.ApiFactory(null, settings);
            _ = cluster.Api.Server;
            return cluster;
        }
        catch
        {
            // A failed start must not leave silo processes behind (they would outlive the test run).
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async Task<SiloProcess> AddSiloAsync()
    {
        var silo = await SiloProcess.StartAsync(Settings);
        lock (Silos)
        {
            Silos.Add(silo);
        }

        return silo;
    }

    public ApiClient CreateClient() => ApiClient.For(Api);

    /// <summary>The silo process whose address hosts the user's grain right now.</summary>
    public async Task<SiloProcess> SiloOfAsync(long userId)
    {
        var view = await Grains.GetGrain<IUserConsistencyGrain>(TestUsers.Key(userId)).GetViewAsync();
        return Silos.Single(s => s.Hosts(view.Silo));
    }

    public async ValueTask DisposeAsync()
    {
        if (Api is not null)
        {
            await Api.DisposeAsync();
        }

        foreach (var silo in Silos)
        {
            await silo.DisposeAsync();
        }
    }
}
