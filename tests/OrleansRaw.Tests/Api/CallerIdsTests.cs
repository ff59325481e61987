using System.Security.Claims;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansRaw.ReadYourWrites;
using OrleansRaw.Routing;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// Who the caller is, with no cluster or HTTP: any valid string id from the configured claim or its inbound-mapped
/// name; a signed-in caller without a usable id is an error, never an anonymous caller. The HTTP tests
/// (<c>LibraryAppTests</c>) show that each refusal becomes its ProblemDetails.
/// </summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class CallerIdsTests
{
    private readonly CapturingLogger _log = new();

    [Theory]
    [InlineData("42")]
    [InlineData("3f2504e0-4f89-11d3-9a0c-0305e82c3301")]
    [InlineData("zoë.o'brien@example.com|1 2")]
    [InlineData("名前")]
    [InlineData("🙂")]
    public void AnyValidId_InTheConfiguredClaim_IsTheCaller_AsItIs(string id)
    {
        Assert.Null(UserIds.Error(id));
        Assert.Equal(id, Callers().Of(SignedIn(("sub", id))));
    }

    [Fact]
    public void AtTheLengthBound_AnIdIsValid_AndOneCharacterMoreIsNot()
    {
        Assert.True(UserIds.IsValid(new string('x', UserIds.MaxLength)));
        Assert.False(UserIds.IsValid(new string('x', UserIds.MaxLength + 1)));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 42")]
    [InlineData("42 ")]
    [InlineData("4\n2")]
    [InlineData("4\u00002")]
    [InlineData("4\u007f2")]
    [InlineData("4\u00852")]
    public void AnInvalidId_IsNamedWhyWithoutBeingRepeated(string id)
    {
        var error = UserIds.Error(id);
        Assert.NotNull(error);
        Assert.DoesNotContain("42", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnpairedSurrogate_IsNotAValidId_WhereAPairIs()
    {
        Assert.NotNull(UserIds.Error("a" + '\ud83d'));
        Assert.NotNull(UserIds.Error('\udc00' + "b"));
        Assert.NotNull(UserIds.Error("a" + '\udc00' + '\ud83d' + "b"));
        Assert.Null(UserIds.Error("a" + '\ud83d' + '\ude42' + "b"));
    }

    [Fact]
    public void AnAnonymousCaller_IsNoOne_WithoutAnError()
    {
        Assert.Null(Callers().Identify(new ClaimsPrincipal(new ClaimsIdentity()), out var id));
        Assert.Null(id);
        // Claims without authentication are not a sign-in.
        Assert.Null(Callers().Identify(new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "7")])), out id));
        Assert.Null(id);
    }

    [Fact]
    public void WithJwtBearersDefaultMapping_SubInNameIdentifier_IsTheCaller()
    {
        var id = Guid.NewGuid().ToString();
        Assert.Equal(id, Callers().Of(SignedIn((ClaimTypes.NameIdentifier, id), ("name", "Ada"))));
        // The configured claim wins over the mapped one.
        Assert.Equal("7", Callers().Of(SignedIn(("sub", "7"), (ClaimTypes.NameIdentifier, "8"))));
        // Another known inbound mapping: oid.
        Assert.Equal(id, Callers("oid").Of(SignedIn(("http://schemas.microsoft.com/identity/claims/objectidentifier", id))));
    }

    [Fact]
    public void AConfiguredClaimWithNoKnownMapping_HasNoFallback()
    {
        Assert.NotNull(Callers("tenant_user").Identify(SignedIn((ClaimTypes.NameIdentifier, "7")), out var id));
        Assert.Null(id);
    }

    [Fact]
    public void ASignedInCallerWithoutAnIdClaim_IsAnError_NamingTheSetting_LoggedOncePerShape_WithoutClaimValues()
    {
        var callers = Callers();
        var principal = SignedIn(("name", "Ada Lovelace"), ("email", "ada@example.com"));

        var problem = callers.Identify(principal, out var id);
        Assert.Null(id);
        Assert.NotNull(problem);
        Assert.Equal(500, problem.Status);
        Assert.Contains("Consistency:UserIdClaim", problem.Detail, StringComparison.Ordinal);
        Assert.Contains("'sub'", problem.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Ada", problem.Detail, StringComparison.Ordinal);
        var thrown = Assert.Throws<InvalidOperationException>(() => callers.Of(principal));
        Assert.Contains("Consistency:UserIdClaim", thrown.Message, StringComparison.Ordinal);

        var logged = Assert.Single(_log.Errors);
        Assert.Contains("email, name", logged, StringComparison.Ordinal);
        Assert.Contains(ClaimTypes.NameIdentifier, logged, StringComparison.Ordinal);
        Assert.Contains("Consistency:UserIdClaim", logged, StringComparison.Ordinal);
        Assert.DoesNotContain("Ada", logged, StringComparison.Ordinal);

        // The same shape again: no new line; another shape: one more.
        callers.Identify(SignedIn(("email", "grace@example.com"), ("name", "Grace")), out _);
        Assert.Single(_log.Errors);
        callers.Identify(SignedIn(("role", "admin")), out _);
        Assert.Equal(2, _log.Errors.Count);
    }

    [Theory]
    [InlineData(" 7")]
    [InlineData("7\r\n")]
    [InlineData("")]
    public void AnIdClaimThatIsNotAValidId_IsRefused401_WithoutItsValue(string claim)
    {
        var problem = Callers().Identify(SignedIn(("sub", claim)), out var id);
        Assert.Null(id);
        Assert.Equal(401, problem?.Status);
        Assert.DoesNotContain("7", problem!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ATooLongIdClaim_IsRefused401()
    {
        var problem = Callers().Identify(SignedIn(("sub", new string('9', UserIds.MaxLength + 1))), out _);
        Assert.Equal(401, problem?.Status);
    }

    private CallerIds Callers(string claim = "sub") =>
        new(Options.Create(new ConsistencyOptions { UserIdClaim = claim }), _log);

    private static ClaimsPrincipal SignedIn(params (string Type, string Value)[] claims) =>
        new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "test"));

    private sealed class CapturingLogger : ILogger<CallerIds>
    {
        public List<string> Errors { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Error)
            {
                Errors.Add(formatter(state, exception));
            }
        }
    }
}
