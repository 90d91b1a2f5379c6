using System.Text.Json;
using System.Text.Json.Serialization;

namespace MLWorkbench.Results;

/// <summary>Reads and writes <see cref="RunResults"/> as JSON, atomically.</summary>
public static class ResultsFile
{
    /// <summary>The contract version this library writes. Minor versions only add members.</summary>
    public const string CurrentSchemaVersion = "1.9";

    /// <summary>Serializer settings of the contract: camelCase, indented, non-finite numbers as strings.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes the results to <paramref name="path"/> through a temporary file, so a reader never sees half a file.</summary>
    public static void Write(RunResults results, string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        // A unique name: two writers never mix their bytes, and a killed writer's leftover is cleaned by the next run.
        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = File.Create(temp))
                JsonSerializer.Serialize(stream, results, JsonOptions);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Reads a results file.</summary>
    /// <exception cref="InvalidDataException">The file is not a results file this library can read.</exception>
    public static RunResults Read(string path)
    {
        RunResults? results;
        try
        {
            using var stream = File.OpenRead(path);
            results = JsonSerializer.Deserialize<RunResults>(stream, JsonOptions);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}" : "";
            throw new InvalidDataException($"'{path}' is not a valid results file{where}: {e.Message}", e);
        }
        if (results is null)
            throw new InvalidDataException($"'{path}' is empty; expected a results file.");
        var major = results.SchemaVersion.Split('.')[0];
        if (major != CurrentSchemaVersion.Split('.')[0])
            throw new InvalidDataException(
                $"'{path}' has schemaVersion {results.SchemaVersion}; this version of MLWorkbench reads {CurrentSchemaVersion.Split('.')[0]}.x.");
        return results;
    }
}
