using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MLWorkbench.Bundles;

/// <summary>The JSON settings of every bundle entry, and the version facts a bundle records.</summary>
internal static class BundleJson
{
    /// <summary>camelCase, indented, enums as camelCase names, non-finite numbers as strings, nulls left out.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>This library's version, e.g. <c>0.1.0</c>.</summary>
    public static string LibraryVersion { get; } = VersionOf(typeof(BundleJson).Assembly);

    private static string VersionOf(Assembly assembly)
    {
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                      ?? assembly.GetName().Version?.ToString() ?? "unknown";
        var plus = version.IndexOf('+');
        return plus > 0 ? version[..plus] : version;
    }

    /// <summary>A JSON value from a deserialized <c>object</c> as a plain .NET value: string, bool, long, double or null.</summary>
    public static object? Plain(object? value) => value is not JsonElement e ? value : e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when e.TryGetInt64(out var l) => l,
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => e.GetRawText(),
    };
}
