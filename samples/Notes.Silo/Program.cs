using OrleansRaw.Grains.Hosting;
using OrleansRaw.Hosting;

// A silo for the Notes sample: the cluster its Orleans and Redis sections name, with OrleansRaw's grains.
var builder = Host.CreateApplicationBuilder(args);
builder.UseOrleans(silo => silo.UseOrleansRawRedisClustering(builder.Configuration).AddOrleansRawGrains(builder.Configuration));

builder.Build().Run();
