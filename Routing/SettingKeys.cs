using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace OrleansRaw.Routing;

/// <summary>The keys configured in a settings section of ours, each with the property of the options type that reads it.</summary>
internal static class SettingKeys
{
    /// <summary>
    /// Every key under <paramref name="section"/>, nested sections and list items included, with the properties of the
    /// type it binds into (<c>Siblings</c>) and the one that reads it (null: none does).
    /// </summary>
    public static IEnumerable<(IConfigurationSection Key, IReadOnlyDictionary<string, PropertyInfo> Siblings, PropertyInfo? Property)> Of(
        IConfigurationSection section, Type type)
    {
        var properties = Settable(type).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            var property = properties.GetValueOrDefault(child.Key);
            yield return (child, properties, property);
            var nested = property is null ? []
                : ElementOf(property.PropertyType) is { } element ? IsComplex(element) ? child.GetChildren().Select(item => (item, element)) : []
                : IsComplex(property.PropertyType) ? [(child, property.PropertyType)]
                : [];
            foreach (var key in nested.SelectMany(n => Of(n.Item1, n.Item2)))
            {
                yield return key;
            }
        }
    }

    /// <summary>The enum a property holds (nullable or not), or null.</summary>
    public static Type? EnumOf(PropertyInfo property) =>
        (Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType) is { IsEnum: true } type ? type : null;

    /// <summary>The properties the configuration binder sets: public setters, and collections it fills.</summary>
    public static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod?.IsPublic == true || (p.CanRead && ElementOf(p.PropertyType) is not null));

    private static Type? ElementOf(Type type) =>
        type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type) ? null
        : type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericArguments() is [var element] ? element
        : null;

    private static bool IsComplex(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type) && type != typeof(Uri);
}
