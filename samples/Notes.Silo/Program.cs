using OrleansRaw.Grains.Hosting;

// A silo for the Notes sample: the cluster its Orleans and Redis sections name, with OrleansRaw's grains.
var builder = Host.CreateApplicationBuilder(args);
var redis = builder.Configuration["Redis:ConnectionString"] ?? throw new InvalidOperationException("Redis:ConnectionString is not set");
builder.UseOrleans(silo => silo.UseRedisClustering(redis).AddOrleansRawGrains(builder.Configuration));

builder.Build().Run();
