using System.Text.Json;
using MLWorkbench.Tasks;

namespace MLWorkbench.Bundles;

/// <summary>
/// The <c>model/</c> entries of the bundle at <paramref name="path"/>, for a format's loader: a missing entry is a
/// <see cref="WorkbenchInputException"/> naming the file, an unreadable one an <see cref="InvalidDataException"/>.
/// </summary>
internal sealed class BundleEntries(string path, IReadOnlyDictionary<string, byte[]> entries)
{
    /// <summary>The bytes of entry <c>model/</c><paramref name="name"/>.</summary>
    /// <exception cref="WorkbenchInputException">The entry is missing.</exception>
    public byte[] Bytes(string name) =>
        entries.TryGetValue(ModelBundle.ModelFolder + name, out var bytes) ? bytes
            : throw new WorkbenchInputException($"Model file '{path}' is damaged: entry {ModelBundle.ModelFolder}{name} is missing.");

    /// <summary>
    /// The entries under <c>model/</c><paramref name="folder"/>, as the <c>model/</c> entries of a bundle of their own: how a
    /// model that holds other models (an ensemble) gives each its entries.
    /// </summary>
    public BundleEntries Under(string folder)
    {
        var prefix = ModelBundle.ModelFolder + folder;
        return new BundleEntries(path, entries.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(e => ModelBundle.ModelFolder + e.Key[prefix.Length..], e => e.Value, StringComparer.Ordinal));
    }

    /// <summary>The size of the model's own entries, in bytes.</summary>
    public long ModelBytes => entries.Where(e => e.Key.StartsWith(ModelBundle.ModelFolder, StringComparison.Ordinal)).Sum(e => (long)e.Value.Length);

    /// <summary>Entry <c>model/</c><paramref name="name"/> read as JSON.</summary>
    /// <exception cref="InvalidDataException">It is empty or not JSON of that shape.</exception>
    public T Json<T>(string name)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(Bytes(name), BundleJson.Options) ?? throw new InvalidDataException($"entry {ModelBundle.ModelFolder}{name} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"entry {ModelBundle.ModelFolder}{name} cannot be read ({MessageText.OneLine(e)})", e);
        }
    }

    /// <summary>A value as a JSON entry, written as bundles write JSON.</summary>
    public static byte[] ToJson<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, BundleJson.Options);
}

/// <summary>A model that turns a text into an embedding (the MiniLM bi-encoders).</summary>
internal interface IEmbeddingModel
{
    /// <summary>One embedding per text, in order.</summary>
    float[][] Embed(IReadOnlyList<string> texts);
}

/// <summary>The input column names of example-model bundles.</summary>
internal static class TaskColumns
{
    /// <summary>Image classification: the path of the image file.</summary>
    public const string Image = "image";

    /// <summary>Text classification: the text.</summary>
    public const string Text = "text";

    /// <summary>Sentence similarity: the first sentence.</summary>
    public const string Sentence1 = "sentence1";

    /// <summary>Sentence similarity: the second sentence.</summary>
    public const string Sentence2 = "sentence2";
}
