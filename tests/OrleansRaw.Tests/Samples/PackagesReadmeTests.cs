using System.Text.RegularExpressions;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Samples;

/// <summary>
/// docs/PACKAGES.md, the packages' readme (and the README's short form of it), shows only code the samples run: each
/// csharp block names its file in the HTML comment above it, and its lines appear in that file, in order (leading and
/// trailing whitespace aside). NotesSampleTests runs those files; so what a new user copies is what was tested.
/// </summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed partial class PackagesReadmeTests
{
    [Theory]
    [InlineData("docs/PACKAGES.md")]
    [InlineData("README.md")]
    public void EveryCodeBlock_IsInTheSampleFileItNames(string page)
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, page));
        var blocks = CodeBlock().Matches(readme);
        Assert.NotEmpty(blocks);
        Assert.Equal(Regex.Matches(readme, "^```csharp", RegexOptions.Multiline).Count, blocks.Count);

        foreach (Match block in blocks)
        {
            var file = block.Groups["file"].Value;
            Assert.StartsWith("samples/", file, StringComparison.Ordinal);
            var source = Lines(File.ReadAllText(Path.Combine(RepoPaths.Root, file)));
            var at = 0;
            foreach (var line in Lines(block.Groups["code"].Value))
            {
                at = source.IndexOf(line, at);
                Assert.True(at >= 0, $"{page} shows a line that {file} does not have (after the lines before it):\n{line}");
                at++;
            }
        }
    }

    private static List<string> Lines(string text) =>
        [.. text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0)];

    // A block, and the file the HTML comment just above it names: <!-- from samples/... -->
    [GeneratedRegex(@"<!-- from (?<file>\S+) -->\s*\n```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
