using OrleansRaw.WebApi.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddOrleansRawApi();

var app = builder.Build();
app.UseOrleansRawApi();
await app.RunAsync();

/// <summary>The API's entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
