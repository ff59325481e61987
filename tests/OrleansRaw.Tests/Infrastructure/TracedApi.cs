using System.Diagnostics;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using OrleansRaw.WebApi.Observability;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>
/// Another API server on a deployment's cluster, with its tracing on (<see cref="TracingHosting.TracingSetting"/>) and
/// an in-memory exporter in place of OTLP: the app's own tracer provider, sources and sampler, with every span it
/// records kept here. Activity listeners are process-wide, so the in-process silos' spans are recorded too.
/// </summary>
public sealed class TracedApi : IAsyncDisposable
{
    private readonly SpanList _spans = new();

    public TracedApi(Deployment deployment)
    {
        Api = deployment.Api.WithWebHostBuilder(builder =>
        {
            builder.UseSetting(TracingHosting.TracingSetting, "true");
            builder.ConfigureTestServices(services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(_spans)));
        });
    }

    public WebApplicationFactory<Program> Api { get; }

    public ApiClient CreateClient() => ApiClient.For(Api);

    /// <summary>Every span of the trace <paramref name="traceId"/> recorded so far.</summary>
    public IReadOnlyList<Activity> Trace(ActivityTraceId traceId) => [.. _spans.Snapshot().Where(s => s.TraceId == traceId)];

    /// <summary>
    /// ASP.NET Core's server spans for <paramref name="method"/> <paramref name="path"/>, once there are at least
    /// <paramref name="count"/> (a server span ends just after its response is sent, so it may come after the response).
    /// </summary>
    public async Task<IReadOnlyList<Activity>> RequestSpansAsync(string method, string path, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var requests = _spans.Snapshot().Where(s => s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server
                && Equals(s.GetTagItem("http.request.method"), method) && Equals(s.GetTagItem("url.path"), path)).ToList();
            if (requests.Count >= count || DateTime.UtcNow > deadline)
            {
                return requests;
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync() => await Api.DisposeAsync();

    // The exporter adds from whichever thread ends a span; the test reads meanwhile.
    private sealed class SpanList : ICollection<Activity>
    {
        private readonly List<Activity> _items = [];

        public int Count
        {
            get
            {
                lock (_items)
                {
                    return _items.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public List<Activity> Snapshot()
        {
            lock (_items)
            {
                return [.. _items];
            }
        }

        public void Add(Activity item)
        {
            lock (_items)
            {
                _items.Add(item);
            }
        }

        public void Clear()
        {
            lock (_items)
            {
                _items.Clear();
            }
        }

        public bool Contains(Activity item) => Snapshot().Contains(item);

        public void CopyTo(Activity[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);

        public bool Remove(Activity item)
        {
            lock (_items)
            {
                return _items.Remove(item);
            }
        }

        public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
