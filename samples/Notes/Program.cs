using Notes;
using OrleansRaw.Grains.Hosting;
using OrleansRaw.Hosting;
using OrleansRaw.ReadYourWrites;

var builder = WebApplication.CreateBuilder(args);
if (builder.Configuration.GetValue<bool>("Notes:CoHosted"))
{
    // Co-hosted: this app is also a silo of the cluster (then every silo of it runs AddOrleansRawGrains).
    builder.UseOrleans(silo => silo.UseOrleansRawRedisClustering(builder.Configuration).AddOrleansRawGrains(builder.Configuration));
}
else
{
    builder.UseOrleansRawClient();                                  // OrleansRaw.Hosting.Redis, or your own Orleans client
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
