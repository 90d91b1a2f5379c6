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

    /// <summary>Records an epoch's validation figures, keeping <paramref name="model"/>'s weights when the epoch is the best so far.</summary>
    public void Observe(nn.Module model, double accuracy, double loss) =>
        Observe(() => model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone()), accuracy, loss);

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
