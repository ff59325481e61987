using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>
/// The Web API on a real Kestrel port on 127.0.0.1, for a real browser, wired to a deployment's in-process cluster
/// client exactly as <see cref="Deployment.ApiFactory"/> wires the test server.
/// </summary>
public sealed class LoopbackApi : IAsyncDisposable
{
    private readonly Deployment.ApiFactory _factory;

    private LoopbackApi(Deployment.ApiFactory factory, Uri baseAddress)
    {
        _factory = factory;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static LoopbackApi Start(Deployment deployment)
    {
        var port = FreePort();
        var factory = new Deployment.ApiFactory(deployment.Cluster.Client, deployment.Settings);
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http1));
        factory.StartServer();
        return new LoopbackApi(factory, new Uri($"http://127.0.0.1:{port}/"));
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
