using System.Collections;
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
        var unknown = new List<string>();
        Collect(configuration.GetSection(sectionName), typeof(TOptions), unknown);
        return unknown.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(
            $"Unknown setting {string.Join(", ", unknown)}: OrleansRaw reads no such key or value, so it would be ignored. "
            + $"Rename or remove it; the settings of {sectionName} are {string.Join(", ", Settable(typeof(TOptions)).Select(p => p.Name))}.");
    }

    private static void Collect(IConfigurationSection section, Type type, List<string> unknown)
    {
        var properties = Settable(type).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (!properties.TryGetValue(child.Key, out var property))
            {
                var near = properties.Keys.FirstOrDefault(k => Near(k, child.Key));
                unknown.Add(near is null ? child.Path : $"{child.Path} (did you mean {child.Path[..^child.Key.Length]}{near}?)");
                continue;
            }

            if ((Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType) is { IsEnum: true } enumType
                && child.Value is { Length: > 0 } value
                && !Enum.GetNames(enumType).Contains(value.Trim(), StringComparer.OrdinalIgnoreCase))
            {
                // The binder takes any number for an enum, defined or not: Mode=7 would run as no mode at all.
                unknown.Add($"{child.Path}={value} (it takes one of: {string.Join(", ", Enum.GetNames(enumType))})");
            }
            else if (ElementOf(property.PropertyType) is { } element)
            {
                foreach (var item in child.GetChildren().Where(_ => IsComplex(element)))
                {
                    Collect(item, element, unknown);
                }
            }
            else if (IsComplex(property.PropertyType))
            {
                Collect(child, property.PropertyType, unknown);
            }
        }
    }

    private static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod?.IsPublic == true || (p.CanRead && ElementOf(p.PropertyType) is not null));

    private static Type? ElementOf(Type type) =>
        type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type) ? null
        : type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericArguments() is [var element] ? element
        : null;

    private static bool IsComplex(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type) && type != typeof(Uri);

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
