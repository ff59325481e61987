using OrleansRaw.Silo;

var builder = Host.CreateApplicationBuilder(args);
builder.AddOrleansRawSilo();

using var host = builder.Build();
await host.RunAsync();
