using MLWorkbench.Data;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch;

/// <summary>
/// A multilayer perceptron trained with AdamW on mini-batches (mean squared error for regression, cross-entropy
/// for classification), stopped early when the validation loss has not improved for <c>patience</c> epochs; the
/// best epoch's weights are kept. Curves record the train and validation loss per epoch.
/// </summary>
internal sealed class MlpCandidate(int width = 64, int depth = 2, double dropout = 0.1, double learningRate = 1e-3,
    int batchSize = 32, int maxEpochs = 300, int patience = 25, double weightDecay = 1e-4) : ICandidate<FeatureMatrix>
{
    public string Name => "mlp";
    public ModelFamily Family => ModelFamily.Torch;

    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = new Dictionary<string, object?>
    {
        ["width"] = width, ["depth"] = depth, ["dropout"] = dropout, ["learningRate"] = learningRate, ["batchSize"] = batchSize,
        ["maxEpochs"] = maxEpochs, ["patience"] = patience, ["weightDecay"] = weightDecay, ["optimizer"] = "adamw",
    };

    public Task<ITrainedModel<FeatureMatrix>> FitAsync(FeatureMatrix train, FeatureMatrix validation, TrainContext context, CancellationToken cancellationToken) =>
        Task.Run<ITrainedModel<FeatureMatrix>>(() =>
        {
            var task = context.Task;
            var regression = task == TaskKind.Regression;
            var (device, _, _) = TorchDevices.Resolve(context.Device);
            random.manual_seed(context.Seed);
            var shuffle = new Random(context.Seed);
            var inputs = Standardizer.Fit(train);
            var label = LabelScale.Fit(task, train.Labels);
            var network = new MlpNetwork(train.Columns, width, depth, dropout, regression ? 1 : context.Classes).to(device);
            using var trainSet = new ScaledTensors(train, inputs, label, task, device);
            using var validationSet = new ScaledTensors(validation, inputs, label, task, device);
            using var optimizer = optim.AdamW(network.parameters(), learningRate, weight_decay: weightDecay);
            Tensor Loss(Tensor output, Tensor target) => regression ? nn.functional.mse_loss(output, target) : nn.functional.cross_entropy(output, target);
            // Regression curves are RMSE in label units; classification curves are cross-entropy.
            double Report(double meanLoss) => regression ? Math.Sqrt(meanLoss) * label.Scale : meanLoss;
            var lossName = regression ? "RMSE" : "cross-entropy";
            var trainCurve = new Curve { Name = $"train {lossName}", Per = "epoch" };
            var validationCurve = new Curve { Name = $"validation {lossName}", Per = "epoch" };
            var best = double.PositiveInfinity;
            Dictionary<string, Tensor>? bestState = null;
            var sinceBest = 0;
            var order = Enumerable.Range(0, train.Rows).ToArray();
            for (var epoch = 0; epoch < maxEpochs && sinceBest < patience; epoch++)
            {
                network.train();
                shuffle.Shuffle(order);
                double sum = 0;
                for (var start = 0; start < order.Length; start += batchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    var index = tensor(order[start..Math.Min(start + batchSize, order.Length)].Select(i => (long)i).ToArray(), device: device);
                    optimizer.zero_grad();
                    var loss = Loss(network.call(trainSet.X.index_select(0, index)), trainSet.Y.index_select(0, index));
                    loss.backward();
                    optimizer.step();
                    sum += loss.item<float>() * index.shape[0];
                }
                trainCurve.Values.Add(Report(sum / order.Length));
                network.eval();
                double validationLoss;
                using (NewDisposeScope())
                using (no_grad())
                    validationLoss = Report(Loss(network.call(validationSet.X), validationSet.Y).item<float>());
                validationCurve.Values.Add(validationLoss);
                if (validationLoss < best - 1e-9)
                {
                    best = validationLoss;
                    sinceBest = 0;
                    if (bestState is not null) foreach (var t in bestState.Values) t.Dispose();
                    bestState = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
                }
                else sinceBest++;
            }
            if (bestState is not null)
            {
                network.load_state_dict(bestState);
                foreach (var t in bestState.Values) t.Dispose();
            }
            return new TorchTabularModel(network, inputs, label, task, device, [trainCurve, validationCurve]);
        }, cancellationToken);
}
