namespace OrleansRaw.WebApi.Hosting;

/// <summary>
/// The benchmark's Direct baseline (<c>Bench:Baseline=Direct</c>): this API and its HTTP contract without the
/// read-your-writes layer's routing. No Orleans client and no silos; every read runs on the primary (reason
/// <c>direct</c>), no write is recorded in a grain, no replica is followed. Declarations, tokens, strong-read limits
/// and the routed database stay the layer's own. A comparison path for <c>./bench</c>, not a mode of the library: it
/// registers the layer with routing of its own in place of the cluster's (an internal seam the library opens to this
/// project only). Not for production: every read on the primary is what the layer exists to avoid.
/// </summary>
internal static class DirectBaseline
{
    /// <summary>The setting that turns the baseline on, and its one value.</summary>
    public const string Setting = "Bench:Baseline";

    public const string Name = "Direct";

    /// <summary>The reason every read gives (<c>X-Consistency-Reason</c>, metrics): no decision was taken.</summary>
    public const string Reason = "direct";

    /// <summary>True when the configuration asks for the baseline; a start that names anything else fails, saying what to set.</summary>
    public static bool IsRequested(IConfiguration configuration)
    {
        if (configuration["Consistency:Direct"] is not null)
        {
            throw new InvalidOperationException(
                $"Consistency:Direct is no longer read: the Direct baseline is the benchmark's, not a consistency mode. Set {Setting}={Name} instead.");
        }

        return configuration[Setting] switch
        {
            null or "" => false,
            var value when string.Equals(value, Name, StringComparison.OrdinalIgnoreCase) => true,
            var value => throw new InvalidOperationException($"{Setting} is '{value}': the only baseline is {Name}. Remove the setting to run the product."),
        };
    }

    /// <summary>
    /// The layer as <see cref="ReadYourWritesHosting.AddReadYourWrites(IServiceCollection, IConfiguration, Action{ConsistencyOptions}?)"/>
    /// registers it, with reads sent to the primary undecided and writes not recorded, and a grain factory that fails
    /// any call, so a grain call the baseline missed is an error, not a hidden cost.
    /// </summary>
    public static IServiceCollection AddDirectBaseline(this IServiceCollection services, IConfiguration configuration, Action<ConsistencyOptions> configure)
    {
        services.AddSingleton(NoClusterGrainFactory.Create());
        return services.AddReadYourWrites(configuration, configure, routing =>
        {
            routing.AddSingleton<IReadRouting, PrimaryReads>();
            routing.AddSingleton<IWriteRecording, UnrecordedWrites>();
        });
    }

    private sealed class PrimaryReads : IReadRouting
    {
        public string Mode => Name;

        public Task<RoutingDecision> DecideAsync(ReadRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(RoutingDecision.Primary(Reason));

        public Task NoteServedAsync(ReadRequest request, RoutingDecision decision, ConsistencyContext served) => Task.CompletedTask;
    }

    // The write's position, read in the write's own round trip, comes back for the client's token (the same contract as
    // the product's); no grain, and no hand-off handler hears of it.
    private sealed class UnrecordedWrites : IWriteRecording
    {
        public async Task<WalPosition?> RecordAsync(HttpContext http, string userId, ConsistencyContext context, TimeSpan? limit)
        {
            try
            {
                return await http.RequestServices.GetRequiredService<RoutedDatabase>().WrittenPositionAsync(http.RequestAborted);
            }
            catch (Exception)
            {
                return null;
            }
        }
    }
}
