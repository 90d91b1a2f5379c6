using MLWorkbench.Bundles;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Onnx;
using MLWorkbench.Models.Torch;
using MLWorkbench.Models.Torch.Bert;
using MLWorkbench.Results;
using MLWorkbench.Text;
using TorchSharp;
using MLWorkbench.Tasks;
using static TorchSharp.torch;

namespace MLWorkbench.Similarity;

/// <summary>How token vectors become one vector.</summary>
internal enum SentencePooling
{
    /// <summary>Mean of the token vectors over the attention mask (sentence-transformers' default).</summary>
    Mean,
    /// <summary>The vector of the <c>[CLS]</c> token.</summary>
    Cls,
}

/// <summary>
/// Settings for fine-tuning all-MiniLM-L6-v2 (bi-encoder or cross-encoder). The defaults follow sentence-transformers'
/// STS-B recipe (AdamW 2e-5, weight decay 0.01, batch 16, 10% linear warm-up then linear decay, gradient norm ≤ 1)
/// except the number of epochs: 1 instead of 4, because one epoch over STS-B costs minutes on a CPU.
/// </summary>
internal sealed record MiniLmFineTuneOptions
{
    /// <summary>AdamW's peak learning rate.</summary>
    public double LearningRate { get; init; } = 2e-5;

    /// <summary>AdamW's decoupled weight decay.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Passes over the training pairs.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Pairs per step.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Most tokens per input, special tokens included: per sentence (bi-encoder) or per pair (cross-encoder).</summary>
    public int MaxLength { get; init; } = 128;

    /// <summary>How token vectors are pooled.</summary>
    public SentencePooling Pooling { get; init; } = SentencePooling.Mean;

    /// <summary>Share of the steps spent warming the learning rate up linearly from 0.</summary>
    public double WarmupFraction { get; init; } = 0.1;

    /// <summary>Validation evaluations per epoch (early stopping and curves); one more is made before training.</summary>
    public int EvaluationsPerEpoch { get; init; } = 1;

    /// <summary>Stop after this many evaluations without a better validation Spearman; the best weights are kept.</summary>
    public int Patience { get; init; } = 2;

    /// <summary>Train on a seeded random subset of at most this many pairs (a compute budget); null uses every pair.</summary>
    public int? MaxTrainPairs { get; init; }

    /// <summary>
    /// Train this many epochs instead of <see cref="Epochs"/>, a fraction allowed (the schedule runs over them), null for
    /// <see cref="Epochs"/>: how a search's refit trains as long as the time-planned trial it repeats did.
    /// </summary>
    public double? TrainEpochs { get; init; }

    /// <summary>Throws when a setting cannot work.</summary>
    internal void Validate()
    {
        if (LearningRate <= 0 || WeightDecay < 0 || Epochs < 1 || BatchSize < 1 || MaxLength is < 8 or > 512 || WarmupFraction is < 0 or >= 1
            || EvaluationsPerEpoch < 1 || Patience < 1 || MaxTrainPairs is < 1 || TrainEpochs is <= 0)
            throw new WorkbenchInputException($"Fine-tuning settings {this} are out of range.");
    }

    /// <summary>The settings as recorded in results, with the candidate's <paramref name="loss"/>.</summary>
    internal Dictionary<string, object?> ToHyperparameters(string loss) => new()
    {
        ["learningRate"] = LearningRate, ["weightDecay"] = WeightDecay, ["epochs"] = Epochs, ["batchSize"] = BatchSize,
        ["maxLength"] = MaxLength, ["pooling"] = Pooling.ToString().ToLowerInvariant(), ["warmupFraction"] = WarmupFraction,
        ["evaluationsPerEpoch"] = EvaluationsPerEpoch, ["patience"] = Patience, ["maxTrainPairs"] = MaxTrainPairs, ["trainEpochs"] = TrainEpochs,
        ["optimizer"] = "adamw", ["init"] = "all-MiniLM-L6-v2 (onnx weights)", ["loss"] = loss,
    };
}

/// <summary>
/// The fine-tuning loop both MiniLM candidates share: AdamW with linear warm-up and decay, gradient clipping, validation
/// Spearman for early stopping (best weights kept), curves of the training loss per step and of validation
/// Spearman and loss per evaluation (the first one before any training).
/// </summary>
internal static class MiniLmFineTuning
{
    /// <summary>
    /// The fit both candidates share: check the settings, pick the device, seed TorchSharp, load MiniLM's weights into
    /// <paramref name="create"/>'s network, <see cref="Train"/> it, and wrap it as a model (the network is disposed if
    /// anything fails before the model owns it). Runs on the thread pool.
    /// </summary>
    /// <param name="options">Settings.</param>
    /// <param name="train">Training pairs.</param>
    /// <param name="validation">Validation pairs.</param>
    /// <param name="context">Device and seed.</param>
    /// <param name="create">The network around the pretrained encoder.</param>
    /// <param name="lossName">Name of the loss in the curves.</param>
    /// <param name="loss">The training loss of the pairs at the given rows (a scalar tensor).</param>
    /// <param name="predict">Predictions on the [0, 1] scale for every pair (called in eval mode, without gradients).</param>
    /// <param name="model">The trained model from the network, its curves and what it planned and trained against its time limit (null without one).</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    public static Task<ITrainedModel<SentencePairs>> FitAsync<TNetwork>(MiniLmFineTuneOptions options, SentencePairs train, SentencePairs validation,
        TrainContext context, Func<BertEncoder, TNetwork> create, string lossName, Func<MiniLmRun<TNetwork>, SentencePairs, int[], Tensor> loss,
        Func<MiniLmRun<TNetwork>, SentencePairs, float[]> predict, Func<MiniLmRun<TNetwork>, List<Curve>, TrainingPlan?, ITrainedModel<SentencePairs>> model,
        CancellationToken cancellationToken) where TNetwork : nn.Module =>
        Task.Run(() =>
        {
            options.Validate();
            var (device, _, _) = TorchDevices.Resolve(context.Device);
            random.manual_seed(context.Seed);
            var tokenizer = MiniLmAssets.CreateTokenizer();
            var network = create(BertWeights.LoadMiniLm());
            try
            {
                network.to(device);
                var run = new MiniLmRun<TNetwork>(network, tokenizer, device, train.NormalizedScores());
                // Under a search's time limit the steps are planned to fit it, and the model trained so far is kept when it comes.
                var plan = new StepPlan(context.TimeLimit, options.Epochs, options.TrainEpochs, validation.Rows, options.EvaluationsPerEpoch);
                var curves = Train(network, (data, rows) => loss(run, data, rows), data => predict(run, data),
                    train, validation, options, context.Seed, lossName, context.Precision, device, cancellationToken, plan);
                return model(run, curves, plan.Report());
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }, cancellationToken);

    /// <summary>Reads what <see cref="MiniLmPairModel{TNetwork}.Save"/> wrote: the network (on the CPU) and its settings.</summary>
    public static (TNetwork Network, MiniLmBundleState State) Load<TNetwork>(BundleEntries entries, string format,
        Func<BertEncoder, SentencePooling, TNetwork> create) where TNetwork : nn.Module
    {
        var state = entries.Json<MiniLmBundleState>($"{format}.json");
        return (TorchWeights.Load(state.Bert.MinimumParameters(), () => create(new BertEncoder(state.Bert), state.Pooling), entries.Bytes("weights.bin")), state);
    }

    /// <summary>Trains <paramref name="network"/> in place and returns the curves.</summary>
    /// <param name="network">The module whose parameters are trained.</param>
    /// <param name="loss">The training loss of the pairs at the given rows (a scalar tensor).</param>
    /// <param name="predict">Predictions on the [0, 1] scale for every pair (called in eval mode, without gradients).</param>
    /// <param name="train">Training pairs.</param>
    /// <param name="validation">Validation pairs.</param>
    /// <param name="options">Settings.</param>
    /// <param name="seed">Seed of the shuffles and of the subset.</param>
    /// <param name="lossName">Name of the loss in the curves.</param>
    /// <param name="precision">Number format of the passes (the network comes back in fp32 either way).</param>
    /// <param name="device">Where <paramref name="network"/> is.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <param name="plan">The steps to take, planned against a time limit (see <see cref="StepPlan"/>); null: every epoch, no limit.</param>
    public static List<Curve> Train(nn.Module network, Func<SentencePairs, int[], Tensor> loss, Func<SentencePairs, float[]> predict,
        SentencePairs train, SentencePairs validation, MiniLmFineTuneOptions options, int seed, string lossName, TrainingPrecision precision, Device device,
        CancellationToken cancellationToken, StepPlan? plan = null)
    {
        var shuffle = new Random(seed);
        var rows = Enumerable.Range(0, train.Rows).ToArray();
        if (options.MaxTrainPairs is { } most && most < rows.Length)
        {
            shuffle.Shuffle(rows);
            rows = rows[..most];
        }
        var stepsPerEpoch = (rows.Length + options.BatchSize - 1) / options.BatchSize;
        plan ??= new StepPlan(null, options.Epochs, options.TrainEpochs, validation.Rows, options.EvaluationsPerEpoch);
        plan.Begin(stepsPerEpoch, rows.Length);
        var evaluateEvery = Math.Max(1, stepsPerEpoch / options.EvaluationsPerEpoch);
        var per = options.EvaluationsPerEpoch == 1 ? "epoch" : $"evaluation (every {evaluateEvery} steps)";
        var stepLoss = new Curve { Name = $"train {lossName}", Per = "step" };
        var validationSpearman = new Curve { Name = "validation spearman", Per = per };
        var validationLoss = new Curve { Name = "validation MSE (0-1 scale)", Per = per };
        var gold = validation.NormalizedScores();
        var best = double.NegativeInfinity;
        var sinceBest = 0;
        Dictionary<string, Tensor>? bestState = null;
        using var mixed = MixedPrecision.Create(network, precision, device, p => optim.AdamW(p, options.LearningRate, weight_decay: options.WeightDecay));

        void Evaluate()
        {
            network.eval();
            float[] predicted;
            using (no_grad()) predicted = plan.Evaluate(() => predict(validation));
            network.train();
            var metrics = validation.Rows >= 2 ? SimilarityMetrics.Compute(gold, predicted) : new Dictionary<string, double> { [SimilarityMetrics.Spearman] = 0, [SimilarityMetrics.Mse] = 0 };
            var spearman = double.IsNaN(metrics[SimilarityMetrics.Spearman]) ? 0 : metrics[SimilarityMetrics.Spearman];
            validationSpearman.Values.Add(spearman);
            validationLoss.Values.Add(metrics[SimilarityMetrics.Mse]);
            if (spearman > best + 1e-6)
            {
                best = spearman;
                sinceBest = 0;
                if (bestState is not null) foreach (var t in bestState.Values) t.Dispose();
                bestState = mixed.Snapshot();
            }
            else sinceBest++;
        }

        try
        {
            network.train();
            Evaluate();
            sinceBest = 0;
            var step = 0;
            for (var epoch = 0; epoch < plan.Epochs && !plan.Finished && sinceBest < options.Patience; epoch++)
            {
                shuffle.Shuffle(rows);
                for (var start = 0; start < rows.Length && !plan.Finished && sinceBest < options.Patience; start += options.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    // The schedule runs over the planned steps: all of them, or those that fit the time limit.
                    var totalSteps = plan.TotalSteps;
                    var warmup = (int)Math.Round(totalSteps * options.WarmupFraction);
                    var rate = step < warmup
                        ? options.LearningRate * (step + 1) / warmup
                        : options.LearningRate * Math.Max(0, totalSteps - step) / Math.Max(1, totalSteps - warmup);
                    foreach (var group in mixed.Optimizer.ParamGroups) group.LearningRate = rate;
                    var batch = rows[start..Math.Min(start + options.BatchSize, rows.Length)];
                    using (NewDisposeScope())
                    {
                        var value = loss(train, batch);
                        mixed.Step(value, clipGradientNorm: 1.0);
                        stepLoss.Values.Add(value.item<float>());
                    }
                    step++;
                    plan.StepDone(batch.Length);
                    // The plan's last step ends the epoch early: the weights it reached are evaluated (and kept if best).
                    var endOfEpoch = start + options.BatchSize >= rows.Length || plan.Finished;
                    var stepInEpoch = start / options.BatchSize + 1;
                    if (endOfEpoch || (stepInEpoch % evaluateEvery == 0 && stepsPerEpoch - stepInEpoch >= evaluateEvery / 2)) Evaluate();
                }
            }
            // The network goes back to fp32 whatever the training precision; the best evaluation's fp32 weights go back in.
            mixed.Finish();
            if (bestState is not null) network.load_state_dict(bestState);
        }
        finally
        {
            if (bestState is not null) foreach (var t in bestState.Values) t.Dispose();
        }
        network.eval();
        return [stepLoss, validationSpearman, validationLoss];
    }

    /// <summary>Pooled vectors [batch, hidden] from <c>last_hidden_state</c>.</summary>
    public static Tensor Pool(Tensor lastHiddenState, Tensor attentionMask, SentencePooling pooling) => pooling == SentencePooling.Cls
        ? lastHiddenState.select(1, 0)
        : Models.Torch.Bert.BertEncoder.MeanPool(lastHiddenState, attentionMask);

    /// <summary>Row indices ordered by the total length of their texts, in batches: little padding at inference.</summary>
    public static IEnumerable<int[]> LengthBatches(int count, Func<int, int> length, int batchSize) =>
        Enumerable.Range(0, count).OrderBy(length).Chunk(batchSize);
}

/// <summary>What a fit has at hand for its loss, predictions and model.</summary>
/// <param name="Network">The network being trained.</param>
/// <param name="Tokenizer">MiniLM's tokenizer.</param>
/// <param name="Device">Where the network runs.</param>
/// <param name="Targets">The training scores on the [0, 1] scale, by row.</param>
internal sealed record MiniLmRun<TNetwork>(TNetwork Network, BertWordPieceTokenizer Tokenizer, Device Device, float[] Targets);

/// <summary>A MiniLM network's shape and pooling, as its bundle records them.</summary>
internal interface IMiniLmNetwork
{
    /// <summary>The encoder's shape.</summary>
    BertConfig Config { get; }

    /// <summary>How token vectors are pooled.</summary>
    SentencePooling Pooling { get; }
}

/// <summary>A fine-tuned MiniLM model's settings in its bundle.</summary>
internal sealed record MiniLmBundleState(BertConfig Bert, SentencePooling Pooling, int MaxLength, ScoreRange Range);

/// <summary>
/// A fine-tuned MiniLM pair scorer, as both candidates' models are: predictions are the network's [0, 1] scores mapped
/// back to the training range. In a bundle: <c>{format}.json</c> (encoder shape, pooling, length limit, range),
/// <c>weights.bin</c> (the fine-tuned state_dict) and MiniLM's vocabulary by checksum.
/// </summary>
internal abstract class MiniLmPairModel<TNetwork>(TNetwork network, BertWordPieceTokenizer tokenizer, int maxLength, Device device, ScoreRange range,
    IReadOnlyList<Curve> curves, string format, Func<BertEncoder, SentencePooling, TNetwork> create)
    : ITrainedModel<SentencePairs>, IBundledModel, ITrainingPlanReport where TNetwork : nn.Module, IMiniLmNetwork
{
    /// <summary>What the fit planned and trained against its time limit; null without one.</summary>
    public TrainingPlan? Plan { get; init; }

    /// <summary>The fine-tuned network.</summary>
    protected TNetwork Network => network;

    /// <summary>MiniLM's tokenizer.</summary>
    protected BertWordPieceTokenizer Tokenizer => tokenizer;

    /// <summary>Most tokens per input.</summary>
    protected int MaxLength => maxLength;

    /// <summary>Where the network runs.</summary>
    protected Device Device => device;

    public IReadOnlyList<Curve> Curves => curves;

    public string Format => format;

    public void Save(IDictionary<string, byte[]> entries, ICollection<PretrainedAsset> assets)
    {
        var (config, pooling) = (network.Config, network.Pooling);
        entries[$"{format}.json"] = BundleEntries.ToJson(new MiniLmBundleState(config, pooling, maxLength, range));
        entries["weights.bin"] = TorchWeights.Save(network, () => create(new BertEncoder(config), pooling));
        assets.Add(PretrainedAssets.Describe(MiniLmFamily.VocabularyFile));
    }

    public Predictions Predict(SentencePairs data)
    {
        network.eval();
        using var noGrad = no_grad();
        return Predictions.Regression(Scores(data).Select(s => range.Denormalize(s)).ToArray());
    }

    /// <summary>Each pair's score on the [0, 1] scale (called in eval mode, without gradients).</summary>
    protected abstract float[] Scores(SentencePairs data);

    public void Dispose() => network.Dispose();
}
