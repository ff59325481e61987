namespace OrleansRaw.Bench.Workload;

/// <summary>
/// The API as the benchmark's users reach it: one transport (one connection pool) shared by every user, each
/// <see cref="BenchUser"/> calling it through an HttpClient and a generated client of its own, as one app instance would.
/// </summary>
/// <param name="transport">Sockets to the API, or a test server's handler; disposed with this.</param>
public sealed class ApiTarget(Uri baseAddress, HttpMessageHandler transport, TimeSpan timeout) : IDisposable
{
    /// <summary>
    /// An HttpClient sending through <paramref name="handler"/> into the shared transport. Neither is disposed with the
    /// client (the handler would dispose the transport), so a user's client needs no disposing.
    /// </summary>
    internal HttpClient CreateClient(DelegatingHandler handler)
    {
        handler.InnerHandler = transport;
        return new HttpClient(handler, disposeHandler: false) { BaseAddress = baseAddress, Timeout = timeout };
    }

    public void Dispose() => transport.Dispose();
}
