using System.Globalization;
using System.Text.RegularExpressions;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Cluster;

/// <summary>
/// The fast failure detection that lets tests and <c>./run</c> replace a dead silo within seconds is a Development
/// setting: a silo started in Production runs Orleans' own membership defaults, which do not declare a silo dead for
/// a pause of a few seconds (a long GC), and the reader-lease rule still holds there, so it starts.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed partial class MembershipDefaultsTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Development")]
    public async Task Silo_RunsFastFailureDetection_OnlyInDevelopment(string environment)
    {
        await TestServices.EnsureUpAsync();
        var id = Guid.NewGuid().ToString("N")[..8];
        var settings = Deployment.BaseSettings(new Dictionary<string, string?>
        {
            ["Orleans:ClusterId"] = "membership-" + id,
            ["Orleans:ServiceId"] = "orleansraw-membership-" + id,
        });

        await using var silo = await SiloProcess.StartAsync(settings, environment);
        var line = silo.Output.Split('\n').Single(l => l.Contains("Membership (", StringComparison.Ordinal));
        output.WriteLine(line);
        var match = MembershipLine().Match(line);
        Assert.True(match.Success, line);
        Assert.Equal(environment, match.Groups["env"].Value);
        var probeTimeout = TimeSpan.Parse(match.Groups["probe"].Value, CultureInfo.InvariantCulture);
        var missed = int.Parse(match.Groups["missed"].Value, CultureInfo.InvariantCulture);
        var votes = int.Parse(match.Groups["votes"].Value, CultureInfo.InvariantCulture);

        if (environment == "Development")
        {
            Assert.Equal((TimeSpan.FromSeconds(1), 2, 1), (probeTimeout, missed, votes));
        }
        else
        {
            // At least 10 s of unanswered probes, and more than one silo's word, before a silo is declared dead.
            Assert.True(probeTimeout * missed >= TimeSpan.FromSeconds(10), line);
            Assert.True(votes >= 2, line);
        }
    }

    [GeneratedRegex(@"Membership \((?<env>\w+)\): probe timeout (?<probe>[0-9:.]+), (?<missed>\d+) missed probes, (?<votes>\d+) votes")]
    private static partial Regex MembershipLine();
}
