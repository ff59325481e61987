using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// One assembly's numbered SQL files, embedded under a resource prefix: this library's own, or an app's added with
/// <see cref="ReadYourWritesHosting.AddSchemaMigrations(IServiceCollection, Assembly, string)"/>. Versions are recorded
/// per <see cref="Owner"/> (the assembly's name), so two assemblies' <c>0001_initial</c> are two versions.
/// </summary>
/// <param name="Assembly">The assembly that embeds the files.</param>
/// <param name="ResourcePrefix">Null: the one prefix ending in <c>.Migrations.</c> under which the assembly embeds SQL files.</param>
internal sealed partial record MigrationSet(Assembly Assembly, string? ResourcePrefix)
{
    private const string DefaultFolder = ".Migrations.";

    /// <summary>This library's own set: the replay-wait function and the idempotency keys.</summary>
    public static MigrationSet Library { get; } = new(typeof(MigrationSet).Assembly, "OrleansRaw.ReadYourWrites.Data.Migrations.");

    /// <summary>Whose versions these are in <c>orleansraw_schema_migrations</c>: the assembly's simple name.</summary>
    public string Owner => Assembly.GetName().Name ?? Assembly.FullName ?? "";

    /// <summary>
    /// The files in name order, each checked: named <c>NNNN_name.sql</c>, numbers unique. Throws, naming the fix, when
    /// the prefix matches no SQL file or a file is misnamed.
    /// </summary>
    public IReadOnlyList<Migration> Load()
    {
        var prefix = ResourcePrefix ?? FindPrefix();
        var names = Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (names.Count == 0)
        {
            throw new InvalidOperationException(
                $"AddSchemaMigrations({Owner}, \"{prefix}\"): the assembly embeds no .sql file under \"{prefix}\". {Advice()}");
        }

        var migrations = new List<Migration>();
        foreach (var name in names)
        {
            var file = name[prefix.Length..];
            var match = FileName().Match(file);
            if (!match.Success)
            {
                throw new InvalidOperationException(
                    $"Migration {Owner}: \"{file}\" (resource {name}) is not named NNNN_name.sql (four digits, an underscore, " +
                    "letters, digits or underscores): rename it, e.g. 0002_add_orders.sql; files in subfolders are not migrations.");
            }

            if (migrations.FirstOrDefault(m => m.Version[..4] == match.Groups["number"].Value) is { } same)
            {
                throw new InvalidOperationException(
                    $"Migration {Owner}: {same.Version}.sql and {file} have the same number: give each file a number of its own.");
            }

            using var reader = new StreamReader(Assembly.GetManifestResourceStream(name)!);
            var sql = reader.ReadToEnd();
            migrations.Add(new Migration(Path.GetFileNameWithoutExtension(file), sql, Checksum(sql)));
        }

        return migrations;
    }

    private string FindPrefix()
    {
        var prefixes = Assembly.GetManifestResourceNames()
            .Where(n => n.EndsWith(".sql", StringComparison.OrdinalIgnoreCase) && n.Contains(DefaultFolder, StringComparison.Ordinal))
            .Select(n => n[..(n.LastIndexOf(DefaultFolder, StringComparison.Ordinal) + DefaultFolder.Length)])
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return prefixes.Count switch
        {
            1 => prefixes[0],
            0 => throw new InvalidOperationException(
                $"AddSchemaMigrations({Owner}): the assembly embeds no .sql file in a Migrations folder. {Advice()}"),
            _ => throw new InvalidOperationException(
                $"AddSchemaMigrations({Owner}): the assembly embeds .sql files in several Migrations folders ({string.Join(", ", prefixes)}): " +
                "name the one to apply, AddSchemaMigrations(assembly, \"<prefix>\")."),
        };
    }

    private string Advice()
    {
        var resources = Assembly.GetManifestResourceNames().Order(StringComparer.Ordinal).ToList();
        return $"Its resources: {(resources.Count == 0 ? "none" : string.Join(", ", resources))}. " +
            "Embed the files with <EmbeddedResource Include=\"Data\\Migrations\\*.sql\" /> in the app's .csproj, and pass the " +
            "prefix <RootNamespace>.Data.Migrations. (the root namespace, then the folder with dots), or call " +
            "AddSchemaMigrations(assembly) to find the Migrations folder.";
    }

    // Line endings are normalized, so a checkout with CRLF does not count as a changed file.
    private static string Checksum(string sql) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));

    [GeneratedRegex(@"^(?<number>[0-9]{4})_[A-Za-z0-9_]+\.sql$", RegexOptions.IgnoreCase)]
    private static partial Regex FileName();
}

/// <summary>One SQL file: its version (the file name without <c>.sql</c>), its text and the SHA-256 of it.</summary>
internal sealed record Migration(string Version, string Sql, string Checksum);
