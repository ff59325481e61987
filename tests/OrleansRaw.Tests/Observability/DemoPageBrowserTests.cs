using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Observability;

/// <summary>
/// The post-then-see-it story in a real browser: Debian's headless Chromium drives the page served at <c>/</c> over loopback
/// HTTP while both replicas lag 500 ms; the new post is on "My posts" from the very first read.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class DemoPageBrowserTests(SystemFixture fixture, ITestOutputHelper output)
{
    /// <summary>Debian's package; never a browser download.</summary>
    private const string Chromium = "/usr/bin/chromium";

    public static string ScreenshotPath => Path.Combine(RepoPaths.Root, "TestResults", "demo-page.png");

    [Fact]
    public async Task Page_PostThenMyPosts_ShowsThePostAtOnce_WithBothReplicasLagging500Ms()
    {
        await using var api = LoopbackApi.Start(fixture.Default);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        page.Console += (_, message) => output.WriteLine($"browser console {message.Type}: {message.Text}");
        page.PageError += (_, error) => output.WriteLine("browser error: " + error);
        try
        {
            await page.GotoAsync(api.BaseAddress.ToString());
            await Assertions.Expect(page.Locator("#replicas li")).ToHaveCountAsync(2);

            // Lag both replicas through the page's own development control.
            foreach (var replica in new[] { "replica-1", "replica-2" })
            {
                var item = page.Locator($"#replicas li[data-replica='{replica}']");
                await item.Locator(".dev-lag-input").FillAsync("500");
                var saved = page.WaitForResponseAsync(r => r.Url.EndsWith($"/api/dev/replicas/{replica}/lag", StringComparison.Ordinal) && r.Request.Method == "PUT");
                await item.Locator(".dev-lag button").ClickAsync();
                Assert.Equal(200, (await saved).Status);
            }

            await Task.Delay(200); // the startup process reloads its settings just after new sessions see them
            var userId = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);
            await page.Locator("#user-id").FillAsync(userId.ToString());
            await page.Locator("#sign-in").ClickAsync();
            await Assertions.Expect(page.Locator("#current-user")).ToHaveTextAsync($"user {userId}");

            var content = "my new photo " + Guid.NewGuid().ToString("N")[..8];
            await page.Locator("#post-content").FillAsync(content);
            await page.Locator("#post-submit").ClickAsync();

            // The URL itself, polled: the page may reach the tab before a navigation event could be waited for.
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("#/my-posts$"));
            var posts = page.Locator("#my-posts");
            await Assertions.Expect(posts).ToHaveAttributeAsync("data-state", "complete");
            await Assertions.Expect(posts.Locator("li.new")).ToContainTextAsync(content);
            // The page reads once on landing: one read, and it already had the post.
            await Assertions.Expect(page.Locator("#read-log tr")).ToHaveCountAsync(1);
            var source = await page.Locator("#last-read-source").InnerTextAsync();
            var reason = await page.Locator("#last-read-reason").InnerTextAsync();
            output.WriteLine($"first read after the post: X-Read-Source {source}, X-Consistency-Reason {reason}");
            Assert.True(source == "primary" || reason == "own-write-replica-caught-up", $"{source} / {reason}");

            // Once the replicas have replayed the post (500 ms), reading again may use one of them; the post is there either way.
            await Task.Delay(1000);
            await page.Locator("#refresh-posts").ClickAsync();
            await Assertions.Expect(page.Locator("#read-log tr")).ToHaveCountAsync(2);
            await Assertions.Expect(posts.Locator("li.new")).ToContainTextAsync(content);
            output.WriteLine($"read again 1 s later: X-Read-Source {await page.Locator("#last-read-source").InnerTextAsync()}, "
                + $"X-Consistency-Reason {await page.Locator("#last-read-reason").InnerTextAsync()}");

            // The live panel has counted this server's reads before the picture is taken.
            await Assertions.Expect(page.Locator("#share-primary-text")).Not.ToHaveTextAsync(new Regex("^(–|0 reads)"));
            if (!(await page.Locator("#last-read-source").InnerTextAsync()).Equals("primary", StringComparison.Ordinal))
            {
                await Assertions.Expect(page.Locator("#share-replica-text")).Not.ToHaveTextAsync(new Regex("^(–|0 reads)"));
            }

            await Task.Delay(500); // the bars' transitions
        }
        finally
        {
            Directory.CreateDirectory(Path.GetDirectoryName(ScreenshotPath)!);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath, FullPage = true });
            output.WriteLine("screenshot: " + ScreenshotPath);
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task Page_KeepsTheConsistencyTokenAcrossAReload_ShowsIt_AndSendsIt()
    {
        await using var api = LoopbackApi.Start(fixture.Default);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        await page.GotoAsync(api.BaseAddress.ToString());
        await page.Locator("#user-id").FillAsync(Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000).ToString());
        await page.Locator("#sign-in").ClickAsync();
        var shown = page.Locator("#consistency-token");
        await Assertions.Expect(shown).ToHaveTextAsync("none yet");

        await page.Locator("#post-content").FillAsync("kept across reloads");
        var posted = page.WaitForResponseAsync(r => r.Url.EndsWith("/api/posts", StringComparison.Ordinal) && r.Request.Method == "POST");
        await page.Locator("#post-submit").ClickAsync();
        var token = await (await posted).HeaderValueAsync("x-consistency-token");
        Assert.False(string.IsNullOrEmpty(token));
        await Assertions.Expect(page.Locator("#my-posts")).ToHaveAttributeAsync("data-state", "complete");
        var latest = await shown.InnerTextAsync();
        Assert.NotEqual("none yet", latest);

        var read = page.WaitForRequestAsync(r => r.Url.EndsWith("/api/posts", StringComparison.Ordinal) && r.Method == "GET");
        await page.ReloadAsync();
        // The first read after the reload carries the token kept before it; its answer may bring a newer one.
        Assert.Equal(latest, await (await read).HeaderValueAsync("x-consistency-token"));
        await Assertions.Expect(page.Locator("#my-posts")).ToHaveAttributeAsync("data-state", "complete");
        Assert.NotEqual("none yet", await shown.InnerTextAsync());
    }

    private static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: ./test installs Debian's chromium package");
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }
}
