using System.Diagnostics.Metrics;

namespace OrleansRaw.WebApi.Observability;

/// <summary>The demo API's own meter, beside the read-your-writes layer's: the primary's share of its reads.</summary>
public sealed class ApiMetrics
{
    public const string MeterName = "OrleansRaw.Api";

    public ApiMetrics(IMeterFactory meters, ReadShareWindow share)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("orleansraw.reads.primary_share", () => share.Current().PrimaryShare, "1",
            "The primary's share of this API's reads over the sliding window (0–1).");
    }
}
