using MLWorkbench.Results;
using TorchSharp;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch;

/// <summary>
/// Early stopping for TorchSharp classifiers, epoch by epoch: an epoch is better when its validation accuracy is higher,
/// or equal with a lower validation cross-entropy; the best epoch's weights are kept (a detached copy) and put back at
/// the end. Patience counts epochs without a higher accuracy, so a tie that only lowers the loss keeps the weights but
/// does not reset the count.
/// </summary>
internal sealed class ClassifierEarlyStopping(int patience) : IDisposable
{
    private double _bestAccuracy = -1;
    private double _bestLoss = double.PositiveInfinity;
    private int _sinceBest;
    private Dictionary<string, Tensor>? _bestState;

    /// <summary>True once <c>patience</c> epochs in a row brought no higher accuracy.</summary>
    public bool ShouldStop => _sinceBest >= patience;

    /// <summary>Records an epoch's validation figures, calling <paramref name="snapshot"/> for weights to keep (the caller's copies) when the epoch is the best so far.</summary>
    public void Observe(Func<Dictionary<string, Tensor>> snapshot, double accuracy, double loss)
    {
        var higher = accuracy > _bestAccuracy + 1e-9;
        if (higher || (Math.Abs(accuracy - _bestAccuracy) <= 1e-9 && loss < _bestLoss))
        {
            _sinceBest = higher ? 0 : _sinceBest + 1;
            (_bestAccuracy, _bestLoss) = (accuracy, loss);
            DisposeState();
            _bestState = snapshot();
        }
        else _sinceBest++;
    }

    /// <summary>Puts the best epoch's weights back into <paramref name="model"/> (nothing when no epoch was observed).</summary>
    public void Restore(nn.Module model)
    {
        if (_bestState is not null) model.load_state_dict(_bestState);
    }

    private void DisposeState()
    {
        if (_bestState is not null) foreach (var t in _bestState.Values) t.Dispose();
        _bestState = null;
    }

    public void Dispose() => DisposeState();
}

/// <summary>
/// The epoch loop the TorchSharp image and text classifiers share: mini-batches with a learning rate warmed up linearly,
/// then cosine-decayed towards zero at the last planned step (all epochs, or what a <see cref="StepPlan"/> fits in a time limit); one optimisation step per batch through
/// <see cref="MixedPrecision"/>; the validation examples scored after every epoch; <see cref="ClassifierEarlyStopping"/>
/// keeps the best epoch. The network comes back in fp32 and eval mode with the best epoch's weights.
/// </summary>
internal static class ClassifierTraining
{
    /// <summary>Runs the loop and returns the curves: train cross-entropy, validation cross-entropy, validation accuracy.</summary>
    /// <param name="model">The network, already prepared by <paramref name="precision"/>.</param>
    /// <param name="precision">Its optimizer and number format.</param>
    /// <param name="schedule">Peak learning rate, most epochs, patience, and the warm-up in steps (a function of the steps per epoch).</param>
    /// <param name="batches">The training rows of one epoch, batch by batch (the caller shuffles).</param>
    /// <param name="batchLoss">The fp32 mean cross-entropy of the rows of a batch.</param>
    /// <param name="evaluate">Validation accuracy and mean cross-entropy (called in eval mode, without gradients).</param>
    /// <param name="clipGradientNorm">Clips the global gradient norm before each step, when set.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <param name="plan">
    /// The steps to take, planned against a time limit (see <see cref="StepPlan"/>): the schedule runs over its steps and the
    /// loop ends, evaluates and keeps its model when the plan does, mid-epoch too. Null: all epochs, no limit.
    /// </param>
    public static List<Curve> Fit(nn.Module model, MixedPrecision precision, (double PeakRate, int MaxEpochs, int Patience, Func<int, int> WarmupSteps) schedule,
        Func<IReadOnlyList<int[]>> batches, Func<int[], Tensor> batchLoss, Func<(double Accuracy, double Loss)> evaluate, double? clipGradientNorm,
        CancellationToken cancellationToken, StepPlan? plan = null)
    {
        var trainLoss = new Curve { Name = "train cross-entropy", Per = "epoch" };
        var validationLoss = new Curve { Name = "validation cross-entropy", Per = "epoch" };
        var validationAccuracy = new Curve { Name = "validation accuracy", Per = "epoch" };
        using var stopping = new ClassifierEarlyStopping(schedule.Patience);
        plan ??= new StepPlan(null, schedule.MaxEpochs, null, 0);
        var (warmup, step) = (0, 0);
        for (var epoch = 0; (epoch == 0 || epoch < plan.Epochs) && !plan.Finished && !stopping.ShouldStop; epoch++)
        {
            model.train();
            var epochBatches = batches();
            if (epoch == 0)
            {
                plan.Begin(epochBatches.Count, epochBatches.Sum(b => b.Length));
                warmup = Math.Max(1, schedule.WarmupSteps(epochBatches.Count));
            }
            double sum = 0;
            var rows = 0;
            foreach (var batch in epochBatches)
            {
                if (plan.Finished) break;
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                // The warm-up keeps its share of the schedule when the plan shortens it.
                var (totalSteps, warm) = (plan.TotalSteps, Math.Max(1, (int)Math.Round(warmup * plan.Scale)));
                var rate = step < warm ? schedule.PeakRate * (step + 1) / warm
                    : schedule.PeakRate * 0.5 * (1 + Math.Cos(Math.PI * (step - warm) / Math.Max(1, totalSteps - warm)));
                foreach (var group in precision.Optimizer.ParamGroups) group.LearningRate = rate;
                step++;
                var loss = batchLoss(batch);
                precision.Step(loss, clipGradientNorm);
                sum += loss.item<float>() * batch.Length;
                rows += batch.Length;
                plan.StepDone(batch.Length);
            }
            trainLoss.Values.Add(sum / Math.Max(1, rows));
            model.eval();
            (double Accuracy, double Loss) scored;
            using (no_grad()) scored = plan.Evaluate(evaluate);
            validationLoss.Values.Add(scored.Loss);
            validationAccuracy.Values.Add(scored.Accuracy);
            stopping.Observe(precision.Snapshot, scored.Accuracy, scored.Loss);
        }
        // The saved network is fp32 whatever the training precision; the best epoch's fp32 weights go back in.
        precision.Finish();
        stopping.Restore(model);
        model.eval();
        return [trainLoss, validationLoss, validationAccuracy];
    }
}
