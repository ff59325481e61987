using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Routing;

/// <summary>Our LSN value type against PostgreSQL's text form and ordering.</summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class LsnTests
{
    [Theory]
    [InlineData("0/0", 0UL)]
    [InlineData("0/16B37D8", 0x16B37D8UL)]
    [InlineData("1/0", 0x1_0000_0000UL)]
    [InlineData("FFFFFFFF/FFFFFFFF", ulong.MaxValue)]
    [InlineData("a/b", 0xA_0000_000BUL)]
    public void Parse_ReadsPostgresTextForm(string text, ulong value) => Assert.Equal(value, Lsn.Parse(text).Value);

    [Theory]
    [InlineData("0/16B37D8")]
    [InlineData("1F/0")]
    [InlineData("FFFFFFFF/FFFFFFFF")]
    public void ToString_RoundTrips(string text) => Assert.Equal(text, Lsn.Parse(text).ToString());

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("0/")]
    [InlineData("/0")]
    [InlineData("0/0/0")]
    [InlineData("G/0")]
    [InlineData("-1/0")]
    [InlineData("100000000/0")]
    [InlineData("0/100000000")]
    [InlineData(" 0/0")]
    [InlineData("0x1/0")]
    [InlineData("0/1'; DROP TABLE posts;--")]
    public void TryParse_RefusesAnythingElse(string? text) => Assert.False(Lsn.TryParse(text, out _));

    [Fact]
    public void Ordering_ComparesTheHighHalfFirst()
    {
        Assert.True(Lsn.Parse("1/0") > Lsn.Parse("0/FFFFFFFF"));
        Assert.True(Lsn.Parse("0/10") >= Lsn.Parse("0/10"));
        Assert.Equal(Lsn.Parse("2/0"), Lsn.Max(Lsn.Parse("2/0"), Lsn.Parse("1/FFFFFFFF")));
        Assert.Equal(16, Lsn.Parse("0/20").BytesAfter(Lsn.Parse("0/10")));
        Assert.Equal(0, Lsn.Parse("0/10").BytesAfter(Lsn.Parse("0/20")));
    }

    [Theory]
    [InlineData("0/2018", "0/2000")]       // just past a page header: everything written ends at the boundary
    [InlineData("1/1000028", "1/1000000")] // just past a segment's long header
    [InlineData("0/2019", "0/2019")]
    [InlineData("0/2000", "0/2000")]
    [InlineData("0/1000018", "0/1000018")] // a segment's first page has the long header, not the short one
    public void ToWrittenEnd_StepsBackOverAPageHeaderOnly(string insert, string end) =>
        Assert.Equal(Lsn.Parse(end), Lsn.Parse(insert).ToWrittenEnd());
}
