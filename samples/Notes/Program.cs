using Notes;
using OrleansRaw.Grains.Hosting;
using OrleansRaw.ReadYourWrites;

var builder = WebApplication.CreateBuilder(args);
var redis = builder.Configuration["Redis:ConnectionString"] ?? throw new InvalidOperationException("Redis:ConnectionString is not set");
if (builder.Configuration.GetValue<bool>("Notes:CoHosted"))
{
    // Co-hosted: this app is also a silo of the cluster (then every silo of it runs AddOrleansRawGrains).
    builder.UseOrleans(silo => silo.UseRedisClustering(redis).AddOrleansRawGrains(builder.Configuration));
}
else
{
    builder.UseOrleansRawClient();                                  // or your own Orleans client: the silos of the Orleans and Redis sections
}

builder.Services.AddReadYourWrites(builder.Configuration);      // the Database and Consistency sections
builder.Services.AddSchemaMigrations(typeof(Program).Assembly); // the app's own tables: Migrations/*.sql
builder.Services.AddAuthentication().AddJwtBearer();            // its defaults; settings in Authentication:Schemes:Bearer
builder.Services.AddAuthorization();

var app = builder.Build();
app.MapNotesApi();
if (app.Environment.IsDevelopment())
{
    app.MapDevTokens();
}

app.Run();
