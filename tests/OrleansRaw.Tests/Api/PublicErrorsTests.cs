using OrleansRaw.Tests.Infrastructure;
using OrleansRaw.WebApi.Features;

namespace OrleansRaw.Tests.Api;

/// <summary>What an anonymous caller of <c>/api/replicas</c> learns of a failing replica: never a host, a port or a driver's message.</summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class PublicErrorsTests
{
    [Theory]
    [InlineData("Failed to connect to 127.0.0.1:27434")]
    [InlineData("57P01: terminating connection due to administrator command")]
    [InlineData("No such host is known. (replica-2.internal.example:5432)")]
    public void AProbesErrorMessage_IsReplacedForAnonymousCallers(string driverMessage)
    {
        var shown = ReplicasApi.PublicError(driverMessage);
        Assert.Equal("the monitor could not probe it", shown);
    }

    [Fact]
    public void TheMonitorsOwnWords_AreShown()
    {
        Assert.Equal(ReplicaErrors.NotInRecovery, ReplicasApi.PublicError(ReplicaErrors.NotInRecovery));
        Assert.Equal("lag 31000 ms exceeds 30000 ms", ReplicasApi.PublicError("lag 31000 ms exceeds 30000 ms"));
        Assert.Null(ReplicasApi.PublicError(null));
    }
}
