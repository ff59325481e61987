using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Containers;

/// <summary>
/// docker-compose.yml works as written, checked without a Docker engine: each image's base provides the frameworks its
/// program needs, the API in its container listens where compose says, and development tokens come only with the
/// Development environment.
/// </summary>
public sealed partial class ComposeStackTests
{
    // What each official .NET runtime image provides (mcr.microsoft.com/dotnet/*).
    private static readonly Dictionary<string, string[]> ImageFrameworks = new()
    {
        ["runtime-deps"] = [],
        ["runtime"] = ["Microsoft.NETCore.App"],
        ["aspnet"] = ["Microsoft.NETCore.App", "Microsoft.AspNetCore.App"],
    };

    [Theory]
    [InlineData("Silo")]
    [InlineData("WebApi")]
    public void EveryFrameworkTheProgramNeeds_IsInItsDockerfilesBaseImage(string project)
    {
        var image = FinalBaseImage(File.ReadAllText(Path.Combine(RepoPaths.Root, project, "Dockerfile")));
        Assert.True(ImageFrameworks.TryGetValue(image, out var provided), $"{project}/Dockerfile runs on an image this test does not know: {image}");

        var config = Path.Combine(RepoPaths.Root, project, "bin", Configuration, "net10.0", $"{project}.runtimeconfig.json");
        Assert.True(File.Exists(config), $"{config} is missing: build the solution first");
        using var json = JsonDocument.Parse(File.ReadAllText(config));
        var needed = json.RootElement.GetProperty("runtimeOptions").GetProperty("frameworks").EnumerateArray()
            .Select(f => f.GetProperty("name").GetString()!).ToList();

        Assert.NotEmpty(needed);
        Assert.All(needed, framework => Assert.True(provided.Contains(framework),
            $"{project} needs {framework}, which mcr.microsoft.com/dotnet/{image} does not provide: the container would stop at start"));
    }

    [Fact]
    public async Task TheApiInItsContainer_ListensWhereComposePublishes()
    {
        var api = await ComposeServiceAsync("api");
        var environment = api.Environment.GetValueOrDefault("ASPNETCORE_ENVIRONMENT", "Production");

        // Nothing the image carries may pin the address: appsettings would win over ASPNETCORE_URLS.
        foreach (var file in new[] { "appsettings.json", $"appsettings.{environment}.json" })
        {
            var path = Path.Combine(RepoPaths.Root, "WebApi", file);
            if (File.Exists(path))
            {
                using var json = JsonDocument.Parse(File.ReadAllText(path));
                Assert.False(json.RootElement.TryGetProperty("Urls", out _), $"WebApi/{file} sets Urls, which overrides the container's ASPNETCORE_URLS");
                Assert.False(json.RootElement.TryGetProperty("Kestrel", out _), $"WebApi/{file} configures Kestrel endpoints, which override the container's ASPNETCORE_URLS");
            }
        }

        Assert.True(api.Environment.TryGetValue("ASPNETCORE_URLS", out var urls), "compose does not say where the API listens (ASPNETCORE_URLS)");
        var listen = UrlPort().Match(urls!);
        Assert.True(listen.Success, $"ASPNETCORE_URLS '{urls}' does not listen on every interface of the container");
        var published = api.Ports.Select(p => PublishedPort().Match(p)).Where(m => m.Success).ToList();
        Assert.NotEmpty(published);
        Assert.All(published, m =>
        {
            Assert.Equal("127.0.0.1", m.Groups["host"].Value);
            Assert.Equal(listen.Groups["port"].Value, m.Groups["container"].Value);
        });
    }

    [Fact]
    public async Task DevelopmentTokens_ComeOnlyWithTheDevelopmentEnvironment()
    {
        var api = await ComposeServiceAsync("api");
        if (string.Equals(api.Environment.GetValueOrDefault("Auth__EnableDevTokens"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Equal("Development", api.Environment.GetValueOrDefault("ASPNETCORE_ENVIRONMENT"));
        }
    }

    private static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";

    // The image of the last FROM (the stage that runs), e.g. "aspnet" for mcr.microsoft.com/dotnet/aspnet:10.0.
    private static string FinalBaseImage(string dockerfile)
    {
        var from = FromLine().Matches(dockerfile).Last();
        return from.Groups["image"].Value;
    }

    private sealed record ComposeService(Dictionary<string, string> Environment, List<string> Ports);

    // `docker-compose config` resolves anchors and prints one normalized form; this reads one service's environment
    // and ports from it.
    private static async Task<ComposeService> ComposeServiceAsync(string name)
    {
        var tool = new[] { "/usr/bin/docker-compose", "/usr/local/bin/docker-compose" }.FirstOrDefault(File.Exists);
        Assert.True(tool is not null, "docker-compose is not installed (./test installs Debian's docker-compose package)");
        var start = new ProcessStartInfo(tool!, ["-f", Path.Combine(RepoPaths.Root, "docker-compose.yml"), "config"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, "docker-compose config failed: " + errors);

        var environment = new Dictionary<string, string>();
        var ports = new List<string>();
        string? section = null;
        var inService = false;
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith("  ", StringComparison.Ordinal) && !line.StartsWith("   ", StringComparison.Ordinal))
            {
                inService = line.TrimEnd() == $"  {name}:";
                section = null;
                continue;
            }

            if (!inService || line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("    ", StringComparison.Ordinal) && !line.StartsWith("     ", StringComparison.Ordinal) && !line.StartsWith("    -", StringComparison.Ordinal))
            {
                section = line.Trim().TrimEnd(':');
                continue;
            }

            if (section == "environment" && line.StartsWith("      ", StringComparison.Ordinal) && line.Trim().Contains(": ", StringComparison.Ordinal)
                && !line.StartsWith("        ", StringComparison.Ordinal))
            {
                var entry = line.Trim();
                var colon = entry.IndexOf(": ", StringComparison.Ordinal);
                environment[entry[..colon]] = entry[(colon + 2)..].Trim('"');
            }
            else if (section == "ports" && line.TrimStart().StartsWith("- ", StringComparison.Ordinal))
            {
                ports.Add(line.Trim()[2..].Trim('"'));
            }
        }

        Assert.True(environment.Count > 0, $"service {name} not found in docker-compose config's output");
        return new ComposeService(environment, ports);
    }

    [GeneratedRegex(@"^FROM\s+mcr\.microsoft\.com/dotnet/(?<image>[a-z-]+):", RegexOptions.Multiline)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"^https?://(\*|\+|0\.0\.0\.0|\[::\]):(?<port>\d+)/?$")]
    private static partial Regex UrlPort();

    [GeneratedRegex(@"^(?<host>[0-9.]+):(?<published>\d+):(?<container>\d+)(/tcp)?$")]
    private static partial Regex PublishedPort();
}
