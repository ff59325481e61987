using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using OrleansRaw.Bench.Harness;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>
/// Every other place that states where the development services are agrees with <see cref="DevTopology"/>: the
/// scripts' <c>scripts/lib/topology.sh</c>, the hosts' appsettings files and docker-compose.yml.
/// </summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed partial class DevTopologyTests
{
    private static readonly string[] PortVariables =
        ["PG_PRIMARY_PORT", "PG_REPLICAS", .. Enumerable.Range(1, DevTopology.MaxReplicas).Select(i => $"PG_REPLICA{i}_PORT"), "REDIS_PORT"];

    [Theory]
    [InlineData("dev")]
    [InlineData("test")]
    [InlineData("bench")]
    public async Task ScriptPortSets_MatchDevTopology(string set)
    {
        var expected = set switch
        {
            "dev" => DevTopology.Development,
            "test" => DevTopology.Tests,
            _ => DevTopology.Bench,
        };

        var output = await TopologyScriptAsync($"topology_ports {set}; echo \"$PG_PRIMARY_PORT $PG_REPLICA1_PORT $PG_REPLICA2_PORT $REDIS_PORT\"");

        Assert.Equal($"{expected.Primary.Port} {expected.Replica1.Port} {expected.Replica2.Port} {expected.Redis.Port}", output.Trim());
    }

    [Theory]
    [InlineData("dev", "")]
    [InlineData("test", "TEST_")]
    [InlineData("bench", "BENCH_")]
    public async Task ScriptPortSets_WithFourReplicas_NumberTheExtraReplicasAsDevTopology(string set, string prefix)
    {
        var expected = (set switch
        {
            "dev" => DevTopology.Development,
            "test" => DevTopology.Tests,
            _ => DevTopology.Bench,
        }).WithReplicas(4);

        var output = await TopologyScriptAsync(
            $"topology_ports {set}; echo \"$PG_PRIMARY_PORT $PG_REPLICA1_PORT $PG_REPLICA2_PORT $PG_REPLICA3_PORT $PG_REPLICA4_PORT $REDIS_PORT $PG_REPLICAS\"",
            new Dictionary<string, string> { [prefix + "PG_REPLICAS"] = "4" });

        Assert.Equal($"{expected.Primary.Port} {string.Join(' ', expected.Replicas.Select(r => r.Port))} {expected.Redis.Port} 4", output.Trim());
    }

    [Fact]
    public void ExtraReplicas_TakeThePortsAfterReplica2()
    {
        Assert.Equal([27433, 27434, 27435, 27436], DevTopology.Tests.WithReplicas(4).Replicas.Select(r => r.Port));
        Assert.Equal([27433], DevTopology.Tests.WithReplicas(1).Replicas.Select(r => r.Port));
        Assert.Equal(["replica-1", "replica-2", "replica-3", "replica-4"],
            DevTopology.Tests.WithReplicas(4).Settings().Where(s => s.Key.EndsWith(":Name", StringComparison.Ordinal)).OrderBy(s => s.Key).Select(s => s.Value));
        Assert.Equal("Host=127.0.0.1:27432,127.0.0.1:27433,127.0.0.1:27434,127.0.0.1:27435,127.0.0.1:27436;Target Session Attributes=primary;"
            + "Host Recheck Seconds=1;Username=postgres;Database=orleansraw", DevTopology.Tests.WithReplicas(4).PrimaryConnection());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("9")]
    [InlineData("two")]
    public async Task ScriptPortSets_RefuseAReplicaCountOutsideOneToEight(string count)
    {
        var (exitCode, errors) = await RunTopologyScriptAsync("topology_ports dev", new Dictionary<string, string> { ["PG_REPLICAS"] = count });

        Assert.Equal(2, exitCode);
        Assert.Contains("from 1 to 8", errors);
    }

    // What the scripts and the C# harnesses (DevTopology.FromEnvironment) make of the same variables.
    [Theory]
    [InlineData("")]
    [InlineData("PG_REPLICAS=1")]
    [InlineData("PG_REPLICAS=4")]
    [InlineData("PG_REPLICAS=5 PG_REPLICA3_PORT=21010")]
    [InlineData("PG_PRIMARY_PORT=21001 PG_REPLICA1_PORT=21002 PG_REPLICA2_PORT=21003 REDIS_PORT=21004 PG_REPLICAS=8")]
    public async Task ScriptSettingsForAnyReplicaCount_MatchDevTopologyFromTheSameVariables(string assignments)
    {
        var variables = assignments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a[1]);
        var topology = DevTopology.FromVariables(name => variables.GetValueOrDefault(name), DevTopology.Development);

        var output = await TopologyScriptAsync("topology_ports dev; topology_settings 'Maximum Pool Size=50'", variables);

        Assert.Equal(variables.TryGetValue("PG_REPLICAS", out var count) ? int.Parse(count) : 2, topology.Replicas.Count);
        AssertSame(topology.Settings("Maximum Pool Size=50"), ParseSettings(output), "scripts/lib/topology.sh");
    }

    [Theory]
    [InlineData("")]
    [InlineData("Maximum Pool Size=50")]
    public async Task ScriptSettings_MatchDevTopology(string connectionOptions)
    {
        var topology = DevTopology.OnLoopback(21001, 21002, 21003, 21004);

        var output = await TopologyScriptAsync(
            $"PG_PRIMARY_PORT=21001 PG_REPLICA1_PORT=21002 PG_REPLICA2_PORT=21003 REDIS_PORT=21004; topology_settings '{connectionOptions}'");

        AssertSame(topology.Settings(connectionOptions), ParseSettings(output), "scripts/lib/topology.sh");
    }

    private static Dictionary<string, string> ParseSettings(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('=', 2))
            .ToDictionary(pair => pair[0].Replace("__", ":", StringComparison.Ordinal), pair => pair[1]);

    // As a Development host reads them: appsettings.json, then appsettings.Development.json. The Silo's connection
    // strings carry no options; the API's cap each pool at 50.
    [Theory]
    [InlineData("Silo", "")]
    [InlineData("WebApi", "Maximum Pool Size=50")]
    public void HostAppsettingsInDevelopment_MatchTheDevelopmentTopology(string project, string connectionOptions)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(Path.Combine(RepoPaths.Root, project))
            .AddJsonFile("appsettings.json")
            .AddJsonFile("appsettings.Development.json", optional: true)
            .Build();

        foreach (var (key, value) in DevTopology.Development.Settings(connectionOptions))
        {
            Assert.True(value == configuration[key], $"{project}'s appsettings give {key} = '{configuration[key]}', the development topology '{value}'");
        }

        Assert.Equal(DevTopology.ClusterId, configuration["Orleans:ClusterId"]);
        Assert.Equal(DevTopology.ServiceId, configuration["Orleans:ServiceId"]);
    }

    [Fact]
    public void ComposeAppEnvironment_MatchesTheTopologyInContainers()
    {
        var compose = File.ReadAllLines(Path.Combine(RepoPaths.Root, "docker-compose.yml"));

        var environment = Block(compose, "x-app-environment:", indent: 0)
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(": ", 2))
            .ToDictionary(pair => pair[0].Replace("__", ":", StringComparison.Ordinal), pair => pair[1].Trim('"'));

        AssertSame(DevTopology.InContainers.Settings(), environment, "docker-compose.yml's x-app-environment");
    }

    [Fact]
    public void ComposePublishedPorts_AreTheDevelopmentPorts()
    {
        var compose = File.ReadAllLines(Path.Combine(RepoPaths.Root, "docker-compose.yml"));
        var services = Block(compose, "services:", indent: 0).ToArray();
        var nodes = new[]
        {
            (DevTopology.InContainers.Primary, DevTopology.Development.Primary),
            (DevTopology.InContainers.Replica1, DevTopology.Development.Replica1),
            (DevTopology.InContainers.Replica2, DevTopology.Development.Replica2),
            (DevTopology.InContainers.Redis, DevTopology.Development.Redis),
        };

        foreach (var (container, development) in nodes)
        {
            var published = Block(services, container.Host + ":", indent: 2).Select(line => PublishedPort().Match(line)).Where(m => m.Success)
                .Select(m => m.Value).ToList();
            Assert.Equal(new[] { $"{DevTopology.Loopback}:{development.Port}:{container.Port}" }, published);
        }
    }

    // The lines under `name` at `indent` spaces, up to the next line indented as far or less.
    private static IEnumerable<string> Block(IEnumerable<string> lines, string name, int indent) =>
        lines.SkipWhile(line => line != new string(' ', indent) + name && !line.StartsWith(new string(' ', indent) + name + " ", StringComparison.Ordinal))
            .Skip(1)
            .TakeWhile(line => line.Trim().Length == 0 || line.Length - line.TrimStart().Length > indent);

    private static void AssertSame(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual, string where)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in expected)
        {
            Assert.True(value == actual[key], $"{where} gives {key} = '{actual[key]}', the topology '{value}'");
        }
    }

    // Sources scripts/lib/topology.sh in a bash with none of the ports' variables set (./test sets them for the run)
    // but those of `variables`.
    private static async Task<string> TopologyScriptAsync(string script, IReadOnlyDictionary<string, string>? variables = null)
    {
        var (exitCode, output) = await RunTopologyScriptAsync(script, variables);
        Assert.True(exitCode == 0, $"bash failed ({exitCode}): {output}");
        return output;
    }

    // The exit code, and the standard output when bash succeeded, else its errors.
    private static async Task<(int ExitCode, string Output)> RunTopologyScriptAsync(string script, IReadOnlyDictionary<string, string>? variables)
    {
        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", $"source scripts/lib/topology.sh; {script}"])
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var variable in PortVariables.SelectMany(name => new[] { name, "TEST_" + name, "BENCH_" + name }))
        {
            start.Environment.Remove(variable);
        }

        foreach (var (name, value) in variables ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, process.ExitCode == 0 ? await output : await errors);
    }

    [GeneratedRegex(@"(?<=-\s+""?)[0-9.]+:\d+:\d+")]
    private static partial Regex PublishedPort();
}
