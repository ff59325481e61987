namespace OrleansRaw.Tests.Infrastructure;

/// <summary>Finds the repository from the test binaries, so tests can call its scripts.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The built Web API (the test's own configuration, Release or Debug), to start as a process.</summary>
    public static string WebApiDll()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(Root, "WebApi", "bin", configuration, "net10.0", "WebApi.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} not found; build the solution first.");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansRaw.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OrleansRaw.sln not found above " + AppContext.BaseDirectory);
    }
}
