using Microsoft.ML;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms.Text;
using MLWorkbench.AutoML;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.TextClassification;

/// <summary>
/// <c>ngram-svm</c>: word and character n-grams, TF-IDF weighted and L2-normalised (ML.NET <c>FeaturizeText</c>), into
/// linear SVMs (ML.NET <c>LinearSvm</c>, Pegasos), one versus all with Platt-calibrated probabilities, so that two
/// classes and many are trained the same way. The classic strong text baseline (scikit-learn's TfidfVectorizer + LinearSVC):
/// longer character n-grams than <c>ngram-lbfgs</c> catch word pieces, misspellings and texts without spaces, and the
/// hinge loss with little regularisation suits the wide sparse vectors. Seconds to train; the model is an
/// <see cref="MlNetTextModel"/> (the whole pipeline from the text column, bundle format <c>mlnet-text</c>).
/// </summary>
internal sealed class NgramSvmCandidate : ICandidate<TextExamples>
{
    private readonly int _wordNgrams;
    private readonly int _charNgrams;
    private readonly double _lambda;
    private readonly int _iterations;

    /// <summary>A candidate with the given n-gram lengths (all lengths up to each), Pegasos regularisation and passes.</summary>
    public NgramSvmCandidate(int wordNgrams = DefaultWordNgrams, int charNgrams = DefaultCharNgrams, double lambda = DefaultLambda, int iterations = DefaultIterations)
    {
        if (wordNgrams is < 1 or > 3 || charNgrams is < 1 or > 6 || lambda <= 0 || iterations < 1)
            throw new WorkbenchInputException($"ngram-svm settings are out of range: wordNgrams {wordNgrams} (1-3), charNgrams {charNgrams} (1-6), lambda {lambda} (> 0), iterations {iterations} (≥ 1).");
        (_wordNgrams, _charNgrams, _lambda, _iterations) = (wordNgrams, charNgrams, lambda, iterations);
        Hyperparameters = new Dictionary<string, object?>
        {
            ["features"] = $"word 1-{wordNgrams}-grams + char 1-{charNgrams}-grams, tf-idf, l2",
            ["trainer"] = "linear svm (pegasos), one versus all, platt-calibrated",
            ["wordNgrams"] = wordNgrams, ["charNgrams"] = charNgrams, ["lambda"] = lambda, ["iterations"] = iterations,
        };
    }

    internal const int DefaultWordNgrams = 2;
    internal const int DefaultCharNgrams = 5;
    internal const double DefaultLambda = 1e-4;
    internal const int DefaultIterations = 10;

    public string Name => "ngram-svm";
    public ModelFamily Family => ModelFamily.MlNet;
    public IReadOnlyDictionary<string, object?> Hyperparameters { get; }

    public Task<ITrainedModel<TextExamples>> FitAsync(TextExamples train, TextExamples validation, TrainContext context, CancellationToken cancellationToken) =>
        Task.Run<ITrainedModel<TextExamples>>(() =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ml = new MLContext(context.Seed);
            var classes = train.ClassNames.Count;
            var options = new TextFeaturizingEstimator.Options
            {
                CaseMode = TextNormalizingEstimator.CaseMode.Lower,
                KeepDiacritics = false, KeepPunctuations = true, KeepNumbers = true,
                WordFeatureExtractor = new WordBagEstimator.Options { NgramLength = _wordNgrams, UseAllLengths = true, Weighting = NgramExtractingEstimator.WeightingCriteria.TfIdf },
                CharFeatureExtractor = new WordBagEstimator.Options { NgramLength = _charNgrams, UseAllLengths = true, Weighting = NgramExtractingEstimator.WeightingCriteria.TfIdf },
                Norm = TextFeaturizingEstimator.NormFunction.L2,
            };
            var svm = ml.BinaryClassification.Trainers.LinearSvm(new LinearSvmTrainer.Options
            {
                LabelColumnName = "Label", FeatureColumnName = "Features", Lambda = (float)_lambda, NumberOfIterations = _iterations,
            });
            var pipeline = ml.Transforms.Text.FeaturizeText("Features", options, "Text").AppendCacheCheckpoint(ml)
                .Append(ml.MulticlassClassification.Trainers.OneVersusAll(svm, "Label", useProbabilities: true));
            var view = MlNetTextCandidate.TextView(ml, train, classes);
            cancellationToken.ThrowIfCancellationRequested();
            return new MlNetTextModel(ml, pipeline.Fit(view), null, classes);
        }, cancellationToken);

    /// <summary>
    /// The registration: a small space around defaults that are strong without tuning (word 1-2-grams, char 1-5-grams,
    /// λ = 1e-4, 10 passes), relative cost 2 (a few times an L-BFGS fit: longer character n-grams, one SVM per class).
    /// </summary>
    public static TrainerDefinition<TextExamples> Definition { get; } = new("ngram-svm", ModelFamily.MlNet, TaskKind.TextClassification,
        new SearchSpace("ngram-svm",
            [
                new IntDomain("wordNgrams", 1, 3), new IntDomain("charNgrams", 3, 6),
                new FloatDomain("lambda", 1e-6, 1e-2, Log: true), new IntDomain("iterations", 2, 40, Log: true),
            ],
            SearchPoint.Of(("wordNgrams", DefaultWordNgrams), ("charNgrams", DefaultCharNgrams), ("lambda", DefaultLambda), ("iterations", DefaultIterations)), 2),
        values =>
        {
            var p = new ParameterValues(values);
            return new NgramSvmCandidate(p.Int("wordNgrams") ?? DefaultWordNgrams, p.Int("charNgrams") ?? DefaultCharNgrams,
                p.Double("lambda") ?? DefaultLambda, p.Int("iterations") ?? DefaultIterations);
        });
}
