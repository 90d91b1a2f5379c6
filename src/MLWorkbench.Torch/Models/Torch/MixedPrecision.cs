using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using MLWorkbench.Tasks;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch;

/// <summary>
/// Trains a network in fp32, bf16 or fp16 behind one interface. For the 16-bit formats the network itself is converted (its
/// forward and backward passes, activations and gradients are 16-bit: the memory and tensor-core saving) while an fp32
/// master copy of every parameter carries the optimizer's updates, so small steps are not rounded away. fp16 also scales
/// the loss (dynamic loss scaling, as PyTorch's GradScaler: start at 2^16, halve and skip the step on an overflow, double
/// after 2,000 clean steps) so that small gradients do not underflow. Normalisation layers keep fp32 weights and
/// statistics. TorchSharp 0.107 has no autocast, hence this "master weights" form of mixed precision rather than
/// per-operation casting.
/// </summary>
internal sealed class MixedPrecision : IDisposable
{
    private readonly nn.Module _model;
    private readonly ScalarType? _half;
    private readonly Dictionary<string, Parameter> _masters;
    private double _scale;
    private int _cleanSteps;

    private MixedPrecision(nn.Module model, TrainingPrecision precision, ScalarType? half, Dictionary<string, Parameter> masters, optim.Optimizer optimizer, double scale)
    {
        (_model, Precision, _half, _masters, Optimizer, _scale) = (model, precision, half, masters, optimizer, scale);
    }

    /// <summary>The precision in use (never <see cref="TrainingPrecision.Auto"/>).</summary>
    public TrainingPrecision Precision { get; }

    /// <summary>The optimizer; it updates the fp32 master weights in the 16-bit modes.</summary>
    public optim.Optimizer Optimizer { get; }

    /// <summary>The current loss scale (1 except in fp16).</summary>
    public double LossScale => _scale;

    /// <summary>Steps skipped because a gradient overflowed (fp16 only).</summary>
    public int SkippedSteps { get; private set; }

    /// <summary>
    /// Prepares <paramref name="model"/> (already on <paramref name="device"/>, in fp32) for training in the precision
    /// <paramref name="requested"/> resolves to; <paramref name="optimizer"/> makes the optimizer over the given parameters.
    /// </summary>
    public static MixedPrecision Create(nn.Module model, TrainingPrecision requested, Device device,
        Func<IEnumerable<Parameter>, optim.Optimizer> optimizer, double initialLossScale = 65536)
    {
        var precision = TorchDevices.ResolvePrecision(requested, device);
        if (precision == TrainingPrecision.Float32) return new MixedPrecision(model, precision, null, [], optimizer(model.parameters()), 1);
        var masters = model.named_parameters().ToDictionary(p => p.name, p => new Parameter(p.parameter.detach().clone(), p.parameter.requires_grad));
        var half = precision == TrainingPrecision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float16;
        model.to(half);
        // Normalisation layers stay in fp32, as under PyTorch's autocast: their statistics (batch-norm running means and
        // variances, layer-norm variances) lose too much in 8 or 11 significant bits. libtorch's norm kernels take 16-bit
        // inputs with fp32 weights and give 16-bit outputs, so the layers around them are unchanged.
        foreach (var (_, module) in model.named_modules())
            if (module is BatchNorm1d or BatchNorm2d or BatchNorm3d or LayerNorm or GroupNorm) module.to(ScalarType.Float32);
        return new MixedPrecision(model, precision, half, masters, optimizer(masters.Values.Where(p => p.requires_grad)),
            precision == TrainingPrecision.Float16 ? initialLossScale : 1);
    }

    /// <summary>A network input in the training precision (floating inputs only; token ids pass unchanged).</summary>
    public Tensor Input(Tensor x) => _half is { } half && x.is_floating_point() ? x.to(half) : x;

    /// <summary>A network output back in fp32, where losses and metrics are computed.</summary>
    public static Tensor Float(Tensor output) => output.dtype == ScalarType.Float32 ? output : output.to(ScalarType.Float32);

    /// <summary>
    /// One optimisation step for <paramref name="loss"/> (an fp32 scalar): backward pass, then the optimizer's step on the
    /// master weights, which are copied back into the network. False when fp16 gradients overflowed and the step was skipped.
    /// With <paramref name="clipGradientNorm"/>, the (unscaled) gradients are first clipped to that global L2 norm.
    /// </summary>
    public bool Step(Tensor loss, double? clipGradientNorm = null)
    {
        Optimizer.zero_grad();
        if (_half is null)
        {
            loss.backward();
            if (clipGradientNorm is { } most) nn.utils.clip_grad_norm_(_model.parameters(), most);
            Optimizer.step();
            return true;
        }
        _model.zero_grad();
        using var scope = NewDisposeScope();
        (_scale == 1 ? loss : loss * _scale).backward();
        Tensor? overflow = null;
        foreach (var (name, working) in _model.named_parameters())
        {
            if (working.grad is not { } grad) continue;
            var master = _masters[name];
            var unscaled = grad.to(ScalarType.Float32);
            if (_scale != 1) unscaled.div_(_scale);
            if (Precision == TrainingPrecision.Float16)
            {
                var bad = unscaled.isfinite().logical_not().any();
                overflow = overflow is null ? bad : overflow.logical_or(bad);
            }
            master.grad = unscaled;
        }
        if (overflow is not null && overflow.item<bool>())
        {
            // An inf or NaN means the scale is too large for fp16 this step: drop the step, lower the scale.
            SkippedSteps++;
            _scale = Math.Max(1, _scale / 2);
            _cleanSteps = 0;
            Optimizer.zero_grad();
            return false;
        }
        if (clipGradientNorm is { } limit) nn.utils.clip_grad_norm_(_masters.Values.Where(p => p.grad is not null), limit);
        Optimizer.step();
        using (no_grad())
            foreach (var (name, working) in _model.named_parameters()) working.copy_(_masters[name]);
        if (Precision == TrainingPrecision.Float16 && ++_cleanSteps >= 2000)
        {
            _scale *= 2;
            _cleanSteps = 0;
        }
        return true;
    }

    /// <summary>
    /// The network's weights as an fp32 state dictionary (master weights for parameters, buffers converted), detached copies
    /// the caller owns: what early stopping keeps for the best epoch.
    /// </summary>
    public Dictionary<string, Tensor> Snapshot() => _model.state_dict().ToDictionary(kv => kv.Key, kv =>
        _masters.TryGetValue(kv.Key, out var master) ? master.detach().clone()
        : kv.Value.is_floating_point() ? kv.Value.detach().to(ScalarType.Float32).clone() : kv.Value.detach().clone());

    /// <summary>Puts the network back in fp32 with the master weights; call once training is over.</summary>
    public void Finish()
    {
        if (_half is null) return;
        _model.to(ScalarType.Float32);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in _model.named_parameters()) parameter.copy_(_masters[name]);
    }

    public void Dispose()
    {
        Optimizer.Dispose();
        foreach (var master in _masters.Values) master.Dispose();
    }
}
