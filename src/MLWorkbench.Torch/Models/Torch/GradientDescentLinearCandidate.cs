using MLWorkbench.Data;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch;

/// <summary>
/// The first model of any deep-learning course: the line y = b + w·x, fitted by plain (full-batch) gradient
/// descent on the mean absolute error. Inputs and label are standardized with training statistics so one
/// learning rate suits every column; the loss per step is recorded in label units for the report.
/// </summary>
internal sealed class GradientDescentLinearCandidate(int steps = 400, double learningRate = 0.05) : ICandidate<FeatureMatrix>
{
    public string Name => "linear-gd";
    public ModelFamily Family => ModelFamily.Torch;

    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = new Dictionary<string, object?>
    {
        ["loss"] = "mae", ["optimizer"] = "sgd (full batch, no momentum)", ["steps"] = steps, ["learningRate"] = learningRate,
        ["initialization"] = "zeros", ["standardization"] = "inputs and label",
    };

    public Task<ITrainedModel<FeatureMatrix>> FitAsync(FeatureMatrix train, FeatureMatrix validation, TrainContext context, CancellationToken cancellationToken) =>
        Task.Run<ITrainedModel<FeatureMatrix>>(() =>
        {
            if (context.Task != TaskKind.Regression) throw new NotSupportedException("linear-gd is a regression model.");
            var (device, _, _) = TorchDevices.Resolve(context.Device);
            random.manual_seed(context.Seed);
            var inputs = Standardizer.Fit(train);
            var label = LabelScale.Fit(context.Task, train.Labels);
            var network = new LinearRegressionNetwork(train.Columns).to(device);
            using var trainSet = new ScaledTensors(train, inputs, label, context.Task, device);
            using var validationSet = new ScaledTensors(validation, inputs, label, context.Task, device);
            using var optimizer = optim.SGD(network.parameters(), learningRate);
            var trainLoss = new Curve { Name = "train MAE", Per = "step" };
            var validationLoss = new Curve { Name = "validation MAE", Per = "step" };
            for (var step = 0; step < steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = (network.call(trainSet.X) - trainSet.Y).abs().mean();
                loss.backward();
                optimizer.step();
                trainLoss.Values.Add(loss.item<float>() * label.Scale);
                using (no_grad())
                    validationLoss.Values.Add((network.call(validationSet.X) - validationSet.Y).abs().mean().item<float>() * label.Scale);
            }
            return new TorchTabularModel(network, inputs, label, context.Task, device, [trainLoss, validationLoss]);
        }, cancellationToken);
}
