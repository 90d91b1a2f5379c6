using MLWorkbench.Data;
using MLWorkbench.Results;
using TorchSharp;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch;

/// <summary>
/// A multilayer perceptron trained with Adam on mini-batches of the mean squared error, stopped early when
/// the validation RMSE has not improved for <c>patience</c> epochs; the best epoch's weights are kept.
/// </summary>
internal sealed class MlpCandidate(int width = 64, int depth = 2, double dropout = 0.1, double learningRate = 1e-3,
    int batchSize = 32, int maxEpochs = 300, int patience = 25, double weightDecay = 1e-4) : IRegressionCandidate
{
    public string Name => "mlp";
    public ModelFamily Family => ModelFamily.Torch;

    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = new Dictionary<string, object?>
    {
        ["width"] = width, ["depth"] = depth, ["dropout"] = dropout, ["learningRate"] = learningRate, ["batchSize"] = batchSize,
        ["maxEpochs"] = maxEpochs, ["patience"] = patience, ["weightDecay"] = weightDecay, ["optimizer"] = "adamw", ["loss"] = "mse",
    };

    public Task<IRegressionModel> FitAsync(FeatureMatrix train, FeatureMatrix validation, TrainContext context, CancellationToken cancellationToken) =>
        Task.Run<IRegressionModel>(() =>
        {
            var (device, _, _) = ComputeDevices.Resolve(context.Device);
            random.manual_seed(context.Seed);
            var shuffle = new Random(context.Seed);
            var inputs = Standardizer.Fit(train);
            var label = Standardizer.FitLabel(train.Labels);
            var network = new MlpNetwork(train.Columns, width, depth, dropout).to(device);
            using var trainSet = new ScaledTensors(train, inputs, label, device);
            using var validationSet = new ScaledTensors(validation, inputs, label, device);
            using var optimizer = optim.AdamW(network.parameters(), learningRate, weight_decay: weightDecay);
            var trainCurve = new Curve { Name = "train RMSE", Per = "epoch" };
            var validationCurve = new Curve { Name = "validation RMSE", Per = "epoch" };
            var best = double.PositiveInfinity;
            Dictionary<string, Tensor>? bestState = null;
            var sinceBest = 0;
            var order = Enumerable.Range(0, train.Rows).ToArray();
            for (var epoch = 0; epoch < maxEpochs && sinceBest < patience; epoch++)
            {
                network.train();
                shuffle.Shuffle(order);
                double sumSquares = 0;
                for (var start = 0; start < order.Length; start += batchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    var index = tensor(order[start..Math.Min(start + batchSize, order.Length)].Select(i => (long)i).ToArray(), device: device);
                    optimizer.zero_grad();
                    var loss = nn.functional.mse_loss(network.call(trainSet.X.index_select(0, index)), trainSet.Y.index_select(0, index));
                    loss.backward();
                    optimizer.step();
                    sumSquares += loss.item<float>() * index.shape[0];
                }
                trainCurve.Values.Add(Math.Sqrt(sumSquares / order.Length) * label.Scale);
                network.eval();
                double validationRmse;
                using (NewDisposeScope())
                using (no_grad())
                    validationRmse = Math.Sqrt(nn.functional.mse_loss(network.call(validationSet.X), validationSet.Y).item<float>()) * label.Scale;
                validationCurve.Values.Add(validationRmse);
                if (validationRmse < best - 1e-9)
                {
                    best = validationRmse;
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
            return new TorchRegressionModel(network, inputs, label, device, [trainCurve, validationCurve]);
        }, cancellationToken);
}
