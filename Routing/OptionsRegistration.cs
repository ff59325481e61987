using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace OrleansRaw.Routing;

/// <summary>Binds and validates the settings silos and API servers share, the same way on both.</summary>
internal static class OptionsRegistration
{
    /// <summary>The <c>Consistency</c> section, validated at start.</summary>
    public static OptionsBuilder<ConsistencyOptions> AddConsistencyOptions(this IServiceCollection services, IConfiguration configuration)
    {
        var options = services.AddSettings<ConsistencyOptions>(configuration, ConsistencyOptions.SectionName, out var first);
        return first
            ? options.Validate(o => o.AutoGracePeriod || o.FixedGracePeriod >= TimeSpan.Zero, "Consistency:GracePeriod is invalid")
            : options;
    }

    /// <summary>The <c>Database</c> section, validated at start.</summary>
    public static OptionsBuilder<DatabaseOptions> AddDatabaseOptions(this IServiceCollection services, IConfiguration configuration)
    {
        var options = services.AddSettings<DatabaseOptions>(configuration, DatabaseOptions.SectionName, out var first);
        if (first)
        {
            services.AddSingleton<IValidateOptions<DatabaseOptions>, NodesValidation>();
        }

        return options;
    }

    /// <summary>The <c>Orleans</c> cluster identity, as configured (or Orleans' defaults).</summary>
    public static ClusterConnectionOptions ClusterConnection(this IConfiguration configuration) =>
        configuration.GetSection(ClusterConnectionOptions.SectionName).Get<ClusterConnectionOptions>() ?? new();

    /// <summary>
    /// Binds a section of ours once, however many of our hosting calls ask for it (a web app that is also a silo makes
    /// two), rejects keys no property reads, and validates data annotations at start.
    /// </summary>
    internal static OptionsBuilder<T> AddSettings<T>(this IServiceCollection services, IConfiguration configuration,
        string sectionName, out bool first) where T : class
    {
        var options = services.AddOptions<T>();
        first = !services.Any(d => d.ServiceType == typeof(Bound<T>));
        if (!first)
        {
            return options;
        }

        services.AddSingleton<Bound<T>>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>>(new UnknownSettings<T>(configuration, sectionName)));
        var section = configuration.GetSection(sectionName);
        services.AddSingleton<IOptionsChangeTokenSource<T>>(new ConfigurationChangeTokenSource<T>(section));
        return options.Configure(o => Bind(section, o)).ValidateDataAnnotations().ValidateOnStart();
    }

    /// <summary>
    /// Binds as <c>OptionsBuilder.Bind</c> does; a value the binder cannot convert to an enum fails naming the values the
    /// setting takes, which the binder's message does not.
    /// </summary>
    private static void Bind<T>(IConfigurationSection section, T options) where T : class
    {
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            var named = SettingKeys.Of(section, typeof(T))
                .Select(k => (k.Key.Path, Type: k.Property is null ? null : SettingKeys.EnumOf(k.Property)))
                .Where(s => s.Type is not null && e.Message.Contains($"'{s.Path}'", StringComparison.Ordinal)).ToList();
            if (named.Count == 0)
            {
                throw;
            }

            throw new InvalidOperationException(
                $"{e.Message} {string.Join(" ", named.Select(s => $"{s.Path} takes one of: {string.Join(", ", Enum.GetNames(s.Type!))}."))}", e);
        }
    }

    /// <summary>The nodes' settings, failing with the sentence that names what to fix.</summary>
    private sealed class NodesValidation : IValidateOptions<DatabaseOptions>
    {
        public ValidateOptionsResult Validate(string? name, DatabaseOptions options) =>
            options.NodesError() is { } error ? ValidateOptionsResult.Fail(error) : ValidateOptionsResult.Success;
    }

    /// <summary>Marks a settings type as bound: binding twice would list every replica twice.</summary>
    private sealed class Bound<T>;
}
