using MLWorkbench.Bundles;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Onnx;
using MLWorkbench.Models.Torch;
using MLWorkbench.Models.Torch.Bert;
using MLWorkbench.Results;
using TorchSharp;
using MLWorkbench.Tasks;
using static TorchSharp.torch;

namespace MLWorkbench.TextClassification;

/// <summary>The TorchSharp text networks.</summary>
internal enum TextNetwork
{
    /// <summary><c>gru</c>: <see cref="GruClassifier"/> on GPT-2 BPE tokens, from scratch.</summary>
    Gru,
    /// <summary><c>transformer</c>: <see cref="TransformerClassifier"/> on GPT-2 BPE tokens, from scratch.</summary>
    Transformer,
    /// <summary><c>minilm-finetune</c>: the pretrained MiniLM encoder plus a head, fine-tuned end to end on WordPiece tokens.</summary>
    MiniLmFinetune,
    /// <summary><c>lstm</c>: <see cref="GruClassifier"/> with LSTM cells on GPT-2 BPE tokens, from scratch.</summary>
    Lstm,
}

/// <summary>Settings of a TorchSharp text candidate; the defaults are <c>gru</c>'s (see <see cref="TextCandidates"/> for the others).</summary>
internal sealed record TorchTextOptions
{
    /// <summary>Most tokens per text; longer texts are truncated (and counted).</summary>
    public int MaxTokens { get; init; } = 256;
    /// <summary>From-scratch networks: most distinct tokens (the most frequent in training); the rest share one id.</summary>
    public int MaxVocabulary { get; init; } = 20_000;
    /// <summary>GRU: embedding width. Transformer: model width.</summary>
    public int Width { get; init; } = 128;
    /// <summary>GRU only: hidden units per direction.</summary>
    public int Hidden { get; init; } = 128;
    /// <summary>GRU: stacked layers. Transformer: encoder layers.</summary>
    public int Depth { get; init; } = 1;
    /// <summary>Transformer only: attention heads.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>GRU only: read the text in both directions.</summary>
    public bool Bidirectional { get; init; } = true;
    /// <summary>Dropout rate.</summary>
    public double Dropout { get; init; } = 0.3;
    /// <summary>AdamW's peak learning rate (linear warm-up over the first tenth of the steps, then cosine decay).</summary>
    public double LearningRate { get; init; } = 3e-3;
    /// <summary>AdamW's decoupled weight decay.</summary>
    public double WeightDecay { get; init; } = 1e-4;
    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Most epochs to train.</summary>
    public int MaxEpochs { get; init; } = 15;
    /// <summary>Stop when validation accuracy has not improved for this many epochs.</summary>
    public int Patience { get; init; } = 3;
    /// <summary>Train on at most this many training texts (the first of the seeded split), null for all: a time budget for slow models.</summary>
    public int? MaxTrainExamples { get; init; }
    /// <summary>
    /// Train this many epochs instead of <see cref="MaxEpochs"/>, a fraction allowed (the schedule runs over them), null
    /// for <see cref="MaxEpochs"/>: how a search's refit trains as long as the time-planned trial it repeats did.
    /// </summary>
    public double? TrainEpochs { get; init; }
}

/// <summary>
/// Trains a TorchSharp text network with AdamW on length-bucketed mini-batches (cross-entropy), early stopping on
/// validation accuracy; the best epoch's weights are kept. Curves per epoch: train and validation cross-entropy and
/// validation accuracy. Texts longer than <see cref="TorchTextOptions.MaxTokens"/> are truncated and counted.
/// </summary>
internal sealed class TorchTextCandidate(TextNetwork network, TorchTextOptions options) : ICandidate<TextExamples>
{
    public string Name => network switch { TextNetwork.Gru => "gru", TextNetwork.Lstm => "lstm", TextNetwork.Transformer => "transformer", _ => "minilm-finetune" };
    public ModelFamily Family => ModelFamily.Torch;
    public string? SkipReason => null;

    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = new Dictionary<string, object?>
    {
        ["network"] = network switch { TextNetwork.Gru => "gru", TextNetwork.Lstm => "lstm", TextNetwork.Transformer => "transformer", _ => "minilm-l6 (pretrained)" },
        ["tokens"] = network == TextNetwork.MiniLmFinetune ? "wordpiece (minilm vocab)" : "gpt-2 byte-level bpe",
        ["maxTokens"] = options.MaxTokens,
        ["maxVocabulary"] = network == TextNetwork.MiniLmFinetune ? null : options.MaxVocabulary,
        ["width"] = network == TextNetwork.MiniLmFinetune ? 384 : options.Width,
        ["hidden"] = network is TextNetwork.Gru or TextNetwork.Lstm ? options.Hidden : null,
        ["depth"] = network == TextNetwork.MiniLmFinetune ? 6 : options.Depth,
        ["heads"] = network == TextNetwork.Transformer ? options.Heads : network == TextNetwork.MiniLmFinetune ? 12 : null,
        ["bidirectional"] = network is TextNetwork.Gru or TextNetwork.Lstm ? options.Bidirectional : null,
        ["dropout"] = options.Dropout, ["learningRate"] = options.LearningRate, ["weightDecay"] = options.WeightDecay,
        ["batchSize"] = options.BatchSize, ["maxEpochs"] = options.MaxEpochs, ["patience"] = options.Patience,
        ["maxTrainExamples"] = options.MaxTrainExamples, ["trainEpochs"] = options.TrainEpochs, ["optimizer"] = "adamw",
    };

    public Task<ITrainedModel<TextExamples>> FitAsync(TextExamples train, TextExamples validation, TrainContext context, CancellationToken cancellationToken) =>
        Task.Run<ITrainedModel<TextExamples>>(() => Fit(train, validation, context, cancellationToken), cancellationToken);

    private TorchTextModel Fit(TextExamples train, TextExamples validation, TrainContext context, CancellationToken cancellationToken)
    {
        var (device, _, _) = TorchDevices.Resolve(context.Device);
        random.manual_seed(context.Seed);
        var shuffle = new Random(context.Seed);
        if (options.MaxTrainExamples is { } most && most < train.Rows) train = train.Subset(Enumerable.Range(0, most).ToArray());
        var classes = train.ClassNames.Count;
        ITextTokenizer tokenizer = network == TextNetwork.MiniLmFinetune
            ? new WordPieceTextTokenizer(MiniLmAssets.CreateTokenizer(), Math.Min(options.MaxTokens, MiniLmAssets.MaxSequenceLength))
            : Gpt2TextTokenizer.Fit(train.Texts, options.MaxTokens, options.MaxVocabulary);
        var (trainIds, truncatedTrain) = Tokenize(tokenizer, train);
        var (validationIds, _) = Tokenize(tokenizer, validation);
        nn.Module<Tensor, Tensor, Tensor> model = network switch
        {
            TextNetwork.Gru or TextNetwork.Lstm => new GruClassifier(tokenizer.VocabularySize, classes, options.Width, options.Hidden, options.Depth, options.Bidirectional,
                options.Dropout, longShortTermMemory: network == TextNetwork.Lstm),
            TextNetwork.Transformer => new TransformerClassifier(tokenizer.VocabularySize, classes, options.MaxTokens, options.Width, options.Depth, options.Heads, options.Dropout),
            _ => new BertClassifier(BertWeights.LoadMiniLm(), classes, options.Dropout),
        };
        model.to(device);
        var trainY = train.Labels.Select(l => (long)l).ToArray();
        // Recurrent layers stay in fp32: libtorch's 16-bit RNN kernels differ by device and backend, and these networks are small.
        var requested = network is TextNetwork.Gru or TextNetwork.Lstm ? TrainingPrecision.Float32 : context.Precision;
        using var precision = MixedPrecision.Create(model, requested, device, p => optim.AdamW(p, options.LearningRate, weight_decay: options.WeightDecay));
        // Under a search's time limit the steps are planned to fit it, and the model trained so far is kept when it comes.
        var plan = new StepPlan(context.TimeLimit, options.MaxEpochs, options.TrainEpochs, validation.Rows);
        try
        {
            var curves = ClassifierTraining.Fit(model, precision, (options.LearningRate, options.MaxEpochs, options.Patience, steps => steps * options.MaxEpochs / 10),
                () => Batches(trainIds, options.BatchSize, shuffle),
                rows =>
                {
                    var (ids, mask) = Pad(trainIds, rows, device);
                    var target = tensor(rows.Select(i => trainY[i]).ToArray(), device: device);
                    return nn.functional.cross_entropy(MixedPrecision.Float(model.call(ids, precision.Input(mask))), target);
                },
                () => Score(Probabilities(model, validationIds, classes, device, precision), validation.Labels), clipGradientNorm: 1.0, cancellationToken, plan);
            return new TorchTextModel(model, tokenizer, classes, device, curves, truncatedTrain) { Plan = plan.Report() };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    internal static (long[][] Ids, int Truncated) Tokenize(ITextTokenizer tokenizer, TextExamples examples)
    {
        var ids = new long[examples.Rows][];
        var truncated = 0;
        for (var i = 0; i < examples.Rows; i++)
        {
            (ids[i], var cut) = tokenizer.Encode(examples.Texts[i]);
            if (cut) truncated++;
        }
        return (ids, truncated);
    }

    /// <summary>Shuffled batches of similar length: shuffle, sort chunks of 50 batches by length, cut, shuffle the batches.</summary>
    private static int[][] Batches(long[][] ids, int batchSize, Random random)
    {
        var order = Enumerable.Range(0, ids.Length).ToArray();
        random.Shuffle(order);
        var batches = order.Chunk(batchSize * 50).SelectMany(chunk => chunk.OrderBy(i => ids[i].Length).Chunk(batchSize)).ToArray();
        random.Shuffle(batches);
        return batches;
    }

    /// <summary>Ids padded with 0 to the batch's longest sequence, and the 0/1 mask of real tokens.</summary>
    internal static (Tensor Ids, Tensor Mask) Pad(long[][] ids, IReadOnlyList<int> rows, Device device)
    {
        var length = rows.Max(i => ids[i].Length);
        var flat = new long[rows.Count * length];
        var mask = new float[rows.Count * length];
        for (var r = 0; r < rows.Count; r++)
        {
            var row = ids[rows[r]];
            Array.Copy(row, 0, flat, r * length, row.Length);
            Array.Fill(mask, 1f, r * length, row.Length);
        }
        return (tensor(flat, device: device).view(rows.Count, length), tensor(mask, device: device).view(rows.Count, length));
    }

    /// <summary>Class probabilities of every sequence, in batches of similar length.</summary>
    internal static float[][] Probabilities(nn.Module<Tensor, Tensor, Tensor> model, long[][] ids, int classes, Device device, MixedPrecision? precision = null)
    {
        model.eval();
        var result = new float[ids.Length][];
        using var noGrad = no_grad();
        foreach (var batch in Enumerable.Range(0, ids.Length).OrderBy(i => ids[i].Length).Chunk(64))
        {
            using var scope = NewDisposeScope();
            var (x, mask) = Pad(ids, batch, device);
            var logits = MixedPrecision.Float(model.call(x, precision?.Input(mask) ?? mask));
            var p = nn.functional.softmax(logits, 1).cpu().data<float>().ToArray();
            for (var r = 0; r < batch.Length; r++) result[batch[r]] = p[(r * classes)..((r + 1) * classes)];
        }
        return result;
    }

    private static (double Accuracy, double Loss) Score(float[][] probabilities, float[] labels)
    {
        double correct = 0, loss = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var p = probabilities[i];
            var label = (int)labels[i];
            if (Array.IndexOf(p, p.Max()) == label) correct++;
            loss -= Math.Log(Math.Max(p[label], 1e-12));
        }
        return (correct / Math.Max(1, labels.Length), loss / Math.Max(1, labels.Length));
    }
}

/// <summary>The architecture of a text network: enough to construct it again before its state_dict is loaded.</summary>
/// <param name="Architecture">The registered name: <c>gru</c>, <c>lstm</c>, <c>transformer</c> or <c>bert</c> (<see cref="BertClassifier"/>).</param>
/// <param name="Vocabulary">Size of the id space.</param>
/// <param name="Classes">Output logits.</param>
/// <param name="Width">GRU: embedding width. Transformer and BERT: model width.</param>
/// <param name="Hidden">GRU: hidden units per direction.</param>
/// <param name="Depth">GRU: layers. Transformer: encoder layers.</param>
/// <param name="Heads">Transformer: attention heads.</param>
/// <param name="MaxTokens">Transformer: positions.</param>
/// <param name="Bidirectional">GRU: both directions.</param>
/// <param name="Dropout">Dropout rate (inactive at prediction).</param>
/// <param name="Bert">BERT: the encoder's shape.</param>
internal sealed record TextNetworkSpec(string Architecture, int Vocabulary, int Classes, int Width, int Hidden = 0, int Depth = 0, int Heads = 0,
    int MaxTokens = 0, bool Bidirectional = false, double Dropout = 0, BertConfig? Bert = null) : INetworkSpec
{
    /// <summary>A lower bound on the parameters of the network <see cref="Create"/> builds (its dominant layers).</summary>
    /// <exception cref="InvalidDataException">The architecture is unknown.</exception>
    public double MinimumParameters() => TorchNetworks.Find<TextNetworkSpec, nn.Module<Tensor, Tensor, Tensor>>(this).MinimumParameters(this);

    /// <summary>Builds a network of this architecture with fresh weights.</summary>
    /// <exception cref="InvalidDataException">The architecture is unknown or a size is not valid.</exception>
    public nn.Module<Tensor, Tensor, Tensor> Create()
    {
        if (Vocabulary < 2 || Classes < 2 || Width < 1) throw new InvalidDataException($"text network sizes are not valid ({this})");
        return TorchNetworks.Find<TextNetworkSpec, nn.Module<Tensor, Tensor, Tensor>>(this).Create(this);
    }
}

/// <summary>
/// A trained TorchSharp text network with its tokenizer. In a bundle: <c>torch-text.json</c> (architecture, tokenizer:
/// the GPT-2 ids kept, or MiniLM's WordPiece vocabulary by checksum) and <c>weights.bin</c> (the state_dict, fine-tuned
/// MiniLM included). A loaded model predicts on the CPU.
/// </summary>
internal sealed class TorchTextModel(nn.Module<Tensor, Tensor, Tensor> network, ITextTokenizer tokenizer, int classes, Device device,
    IReadOnlyList<Curve> curves, int truncatedTrainTexts) : ITrainedModel<TextExamples>, ITruncationReport, IBundledModel, ITrainingPlanReport
{
    internal const string BundleFormat = "torch-text";

    /// <summary>What the fit planned and trained against its time limit; null without one.</summary>
    public TrainingPlan? Plan { get; init; }

    private sealed record State(TextNetworkSpec Network, string Tokenizer, int MaxTokens, int[]? KeptIds);

    public IReadOnlyList<Curve> Curves => curves;

    public string Format => BundleFormat;

    public void Save(IDictionary<string, byte[]> entries, ICollection<PretrainedAsset> assets)
    {
        var spec = (network as INetwork<TextNetworkSpec>)?.Spec
                   ?? throw new NotSupportedException($"Network {network.GetType().Name} cannot be saved: it does not describe its architecture.");
        var state = tokenizer switch
        {
            Gpt2TextTokenizer gpt2 => new State(spec, "gpt2", gpt2.MaxTokens, gpt2.KeptIds),
            WordPieceTextTokenizer wordPiece => new State(spec, "wordpiece", wordPiece.MaxTokens, null),
            _ => throw new NotSupportedException($"Tokenizer {tokenizer.GetType().Name} cannot be saved."),
        };
        if (state.Tokenizer == "wordpiece") assets.Add(PretrainedAssets.Describe(MiniLmFamily.VocabularyFile));
        entries["torch-text.json"] = BundleEntries.ToJson(state);
        entries["weights.bin"] = TorchWeights.Save(network, spec.Create);
    }

    /// <summary>Reads a model written by <see cref="Save"/>; it predicts on the CPU.</summary>
    internal static TorchTextModel Load(BundleEntries entries, int classes)
    {
        var state = entries.Json<State>("torch-text.json");
        if (state.Network.Classes != classes) throw new InvalidDataException($"the network has {state.Network.Classes} classes, the manifest {classes}");
        if (state.MaxTokens < 3) throw new InvalidDataException($"a token limit of {state.MaxTokens} is too small");
        ITextTokenizer tokenizer = state.Tokenizer switch
        {
            "gpt2" when state.KeptIds is { } kept && kept.Length + 2 == state.Network.Vocabulary => Gpt2TextTokenizer.FromKeptIds(kept, state.MaxTokens),
            "wordpiece" => new WordPieceTextTokenizer(MiniLmAssets.CreateTokenizer(), state.MaxTokens),
            _ => throw new InvalidDataException($"tokenizer '{state.Tokenizer}' does not match the network"),
        };
        var network = TorchWeights.Load(state.Network.MinimumParameters(), state.Network.Create, entries.Bytes("weights.bin"));
        return new TorchTextModel(network, tokenizer, classes, CPU, [], 0);
    }

    public int TruncatedTrainTexts => truncatedTrainTexts;

    public int MaxTokens => tokenizer.MaxTokens;

    public Predictions Predict(TextExamples data) =>
        Predictions.FromProbabilities(TorchTextCandidate.Probabilities(network, TorchTextCandidate.Tokenize(tokenizer, data).Ids, classes, device));

    public void Dispose() => network.Dispose();
}
