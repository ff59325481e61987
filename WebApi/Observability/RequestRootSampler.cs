using OpenTelemetry.Trace;
using OrleansRaw.ReadYourWrites;

namespace OrleansRaw.WebApi.Observability;

/// <summary>
/// Which traces may start in the API: an HTTP request's, and a background read's routing span (a job reading as of a
/// write). Under <see cref="ParentBasedSampler"/> everything else is recorded only inside one of those: the replica
/// snapshot feed's long polls, the job worker's polls and lease renewals would otherwise each start a trace of their
/// own, many a second.
/// </summary>
internal sealed class RequestRootSampler : Sampler
{
    /// <summary>The name of the activity ASP.NET Core starts for each request.</summary>
    public const string HttpRequestActivity = "Microsoft.AspNetCore.Hosting.HttpRequestIn";

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        new(samplingParameters.Name is HttpRequestActivity or ReadYourWritesTelemetry.RoutingSpanName ? SamplingDecision.RecordAndSample : SamplingDecision.Drop);
}
