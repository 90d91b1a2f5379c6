using MLWorkbench.Models;

namespace MLWorkbench.Similarity;

/// <summary>
/// ML.NET's own <c>SentenceSimilarity</c> trainer (NAS-BERT, package Microsoft.ML.TorchSharp). It is listed so that
/// comparisons show it, but it is always skipped here, with the reason: its weights (<c>NasBert2000000.tsm</c>) and
/// tokenizer files are downloaded at first use, which cannot happen without a network, and MLWorkbench does not call
/// the trainer yet even when the files have been put into ML.NET's resource folder by hand.
/// </summary>
internal sealed class NasBertSimilarityCandidate : ICandidate<SentencePairs>
{
    /// <summary>The environment variable ML.NET reads for its resource folder.</summary>
    internal const string ResourcePathVariable = "MICROSOFTML_RESOURCE_PATH";

    /// <summary>NAS-BERT's weight file name.</summary>
    internal const string WeightFile = "NasBert2000000.tsm";

    public string Name => "nasbert-similarity";
    public ModelFamily Family => ModelFamily.Torch;

    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = new Dictionary<string, object?>
    {
        ["trainer"] = "Microsoft.ML.TorchSharp SentenceSimilarity (NAS-BERT)",
    };

    /// <summary>ML.NET's resource folder: the environment variable's folder, or <c>mlnet-resources</c> under local application data.</summary>
    internal static string ResourceFolder =>
        Environment.GetEnvironmentVariable(ResourcePathVariable) is { Length: > 0 } custom
            ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "mlnet-resources");

    public string? SkipReason
    {
        get
        {
            var folder = ResourceFolder;
            var present = Directory.Exists(folder) && Directory.EnumerateFiles(folder, WeightFile, SearchOption.AllDirectories).Any();
            return present
                ? $"{WeightFile} is present under '{folder}', but this candidate does not call ML.NET's NAS-BERT SentenceSimilarity trainer yet; use minilm-biencoder or minilm-crossencoder"
                : $"ML.NET's NAS-BERT SentenceSimilarity needs {WeightFile} and its tokenizer files, which it downloads at first use; they are not in its resource folder '{folder}' ({ResourcePathVariable}, or mlnet-resources under local application data) and nothing is downloaded at run time";
        }
    }

    public Task<ITrainedModel<SentencePairs>> FitAsync(SentencePairs train, SentencePairs validation, TrainContext context, CancellationToken cancellationToken) =>
        throw new NotSupportedException(SkipReason);
}
