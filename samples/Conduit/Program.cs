using Conduit;
using OrleansRaw.Grains.Hosting;
using OrleansRaw.Hosting;
using OrleansRaw.ReadYourWrites;

var builder = WebApplication.CreateBuilder(args);
if (builder.Configuration.GetValue<bool>("Conduit:CoHosted"))
{
    // Co-hosted: this app is also a silo of the cluster (then every silo of it runs AddOrleansRawGrains).
    builder.UseOrleans(silo => silo.UseOrleansRawRedisClustering(builder.Configuration).AddOrleansRawGrains(builder.Configuration));
}
else
{
    builder.UseOrleansRawClient();                              // the silos of the Orleans and Redis sections (./run's)
}

builder.Services.AddReadYourWrites(builder.Configuration);
builder.Services.AddSchemaMigrations(typeof(Program).Assembly); // Conduit's tables: Migrations/*.sql
builder.Services.AddAuthentication().AddJwtBearer(Tokens.AcceptTokenScheme);
builder.Services.AddAuthorization();
builder.Services.AddSingleton<Tokens>();
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new Timestamps()));

var app = builder.Build();
var api = app.MapGroup("/api");
api.MapUsersApi();
api.MapProfilesApi();
api.MapArticlesApi();
api.MapCommentsApi();
api.MapTagsApi();
app.Run();
