using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace OrleansRaw.Routing;

/// <summary>
/// Fails validation at start when a settings section of ours holds a key no property reads: a misspelled or renamed
/// setting would otherwise be ignored and its default used, silently.
/// </summary>
internal sealed class UnknownSettings<TOptions>(IConfiguration configuration, string sectionName) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var unknown = SettingKeys.Of(configuration.GetSection(sectionName), typeof(TOptions))
            .Select(k => Problem(k.Key, k.Siblings, k.Property)).OfType<string>().ToList();
        return unknown.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(
            $"Unknown setting {string.Join(", ", unknown)}: OrleansRaw reads no such key or value, so it would be ignored. "
            + $"Rename or remove it; the settings of {sectionName} are {string.Join(", ", SettingKeys.Settable(typeof(TOptions)).Select(p => p.Name))}.");
    }

    // A key no property reads, or an enum setting that is no value's name: the binder takes any number for an enum,
    // defined or not, so Mode=7 would run as no mode at all.
    private static string? Problem(IConfigurationSection key, IReadOnlyDictionary<string, PropertyInfo> siblings, PropertyInfo? property)
    {
        if (property is null)
        {
            var near = siblings.Keys.FirstOrDefault(k => Near(k, key.Key));
            return near is null ? key.Path : $"{key.Path} (did you mean {key.Path[..^key.Key.Length]}{near}?)";
        }

        return SettingKeys.EnumOf(property) is { } enumType && key.Value is { Length: > 0 } value
            && !Enum.GetNames(enumType).Contains(value.Trim(), StringComparer.OrdinalIgnoreCase)
            ? $"{key.Path}={value} (it takes one of: {string.Join(", ", Enum.GetNames(enumType))})"
            : null;
    }

    // A key one edit away, or one that contains or is contained in a known name (ReaderLeaseTime for ReaderLease).
    private static bool Near(string known, string key) =>
        known.Contains(key, StringComparison.OrdinalIgnoreCase) || key.Contains(known, StringComparison.OrdinalIgnoreCase)
        || Distance(known.ToLowerInvariant(), key.ToLowerInvariant()) <= 2;

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
