using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.WebApi.Observability;

/// <summary>
/// Who may reach the operator's endpoints, bound from the <c>Observability</c> section. Unset, each is
/// <see cref="EndpointExposure.Open"/> in Development and <see cref="EndpointExposure.Off"/> anywhere else: the
/// dashboard's log stream shows user ids and errors, and the metrics name replicas and routes.
/// </summary>
public sealed class ObservabilityOptions
{
    public const string SectionName = "Observability";

    /// <summary>The Orleans dashboard at <c>/dashboard</c>.</summary>
    public EndpointExposure? Dashboard { get; set; }

    /// <summary>The Prometheus scrape endpoint at <c>/metrics</c>.</summary>
    public EndpointExposure? Metrics { get; set; }

    /// <summary>With <see cref="EndpointExposure.Operators"/>: the value of the bearer token's <c>role</c> claim that admits a caller.</summary>
    [Required, MinLength(1)]
    public string OperatorRole { get; set; } = "operator";

    public EndpointExposure DashboardIn(IHostEnvironment environment) => Dashboard ?? Default(environment);

    public EndpointExposure MetricsIn(IHostEnvironment environment) => Metrics ?? Default(environment);

    private static EndpointExposure Default(IHostEnvironment environment) =>
        environment.IsDevelopment() ? EndpointExposure.Open : EndpointExposure.Off;
}

/// <summary>How an operator's endpoint is served.</summary>
public enum EndpointExposure
{
    /// <summary>Not mapped: 404.</summary>
    Off,

    /// <summary>Only for a bearer token whose <c>role</c> claim is <see cref="ObservabilityOptions.OperatorRole"/>: 401 without a token, 403 with another.</summary>
    Operators,

    /// <summary>To anyone who reaches the port (an internal network, or Development).</summary>
    Open,
}
