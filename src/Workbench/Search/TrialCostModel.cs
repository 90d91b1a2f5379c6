using System.Globalization;
using MLWorkbench.AutoML;

namespace MLWorkbench.Search;

/// <summary>
/// Predicts the seconds one fit of a tabular trainer takes: a work count from the data's size and the configuration
/// (rows × feature columns × iterations or trees, × classes where the trainer fits one model per class), times seconds
/// per unit of work. The seconds per unit start from a rough prior per trainer and are learned from finished trials:
/// a trainer's own finished trials give its rate; until it has some, the other trainers' observed-over-prior ratio
/// (how much slower this machine and these data are than the priors) scales its prior up, never down. Immutable; the
/// objective makes one per trial from the trials finished so far.
/// </summary>
internal sealed class TrialCostModel
{
    // Seconds per row × column × iteration, measured roughly on one busy 2-core machine (CPS1988's 22,524 rows: LightGBM
    // and FastTree at 100 trees about 0.5 s, GAM's 9,500 iterations 18 s, the MLP at its defaults 16 s, and an MLP trial
    // still running at its 28 s cancellation where 2e-7 had predicted 2 s); learned from finished trials from then on.
    private static readonly Dictionary<string, double> Priors = new(StringComparer.Ordinal)
    {
        ["lightgbm"] = 1.5e-8, ["fasttree"] = 1.5e-8, ["fasttree-tweedie"] = 1.5e-8, ["fastforest"] = 2e-8, ["gam"] = 6e-9,
        ["sdca"] = 5e-9, ["lbfgs"] = 5e-9, ["ogd"] = 5e-9, ["linear-gd"] = 2e-8, ["mlp"] = 5e-6,
    };

    private const double UnknownPrior = 2e-8;

    private readonly int _rows;
    private readonly int _columns;
    private readonly int _classes;
    private readonly Dictionary<string, double> _rate;
    private readonly double _machineFactor;

    private TrialCostModel(int rows, int columns, int classes, Dictionary<string, double> rate, double machineFactor)
    {
        (_rows, _columns, _classes, _rate, _machineFactor) = (rows, columns, classes, rate, machineFactor);
    }

    /// <summary>
    /// A model for fits on <paramref name="rows"/> rows of <paramref name="columns"/> feature columns and
    /// <paramref name="classes"/> classes (0 for regression), calibrated by <paramref name="finished"/> trials that
    /// fitted <paramref name="fitsPerStep"/> models per reported step; <paramref name="share"/> says how many such fits'
    /// worth of rows a trial fitted in all (row rungs fit on parts of the rows; default 1).
    /// </summary>
    public static TrialCostModel Calibrate(int rows, int columns, int classes, IEnumerable<StoredTrial> finished, int fitsPerStep = 1,
        Func<StoredTrial, double>? share = null)
    {
        var model = new TrialCostModel(rows, columns, classes, new Dictionary<string, double>(StringComparer.Ordinal), 1);
        var ratios = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var trial in finished ?? [])
        {
            // Only trials that ran every step they reported: a failed trial's seconds say little about its fits.
            if (trial.State is not (TrialState.Complete or TrialState.Pruned) || trial.FoldMetrics.Count == 0 || trial.Seconds <= 0) continue;
            var work = model.Work(trial.Config) * trial.FoldMetrics.Count * fitsPerStep * (share?.Invoke(trial) ?? 1);
            if (work <= 0) continue;
            var observedRate = trial.Seconds / work;
            (ratios.TryGetValue(trial.Config.Trainer, out var list) ? list : ratios[trial.Config.Trainer] = []).Add(observedRate);
        }
        var rate = ratios.ToDictionary(p => p.Key, p => Median(p.Value), StringComparer.Ordinal);
        var factor = rate.Count == 0 ? 1 : Median(rate.Select(p => p.Value / Prior(p.Key)).ToList());
        return new TrialCostModel(rows, columns, classes, rate, factor);
    }

    /// <summary>True when <paramref name="trainer"/>'s rate comes from its own finished trials, not from its prior.</summary>
    public bool IsCalibrated(string trainer) => _rate.ContainsKey(trainer);

    /// <summary>Predicted seconds of one fit of <paramref name="config"/>.</summary>
    public double PredictSeconds(TrialConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Work(config) * SecondsPerUnit(config.Trainer);
    }

    /// <summary>
    /// The most iterations (<paramref name="parameter"/>) a fit of <paramref name="config"/> can run in
    /// <paramref name="seconds"/>, by this model: how trainers that cannot be cancelled are bounded before they start.
    /// </summary>
    public int MaxIterations(TrialConfig config, string parameter, double seconds)
    {
        ArgumentNullException.ThrowIfNull(config);
        double At(int iterations) => PredictSeconds(config with { Parameters = new Dictionary<string, object>(config.Parameters) { [parameter] = iterations } });
        var perIteration = At(2) - At(1);
        var setup = At(1) - perIteration;
        return perIteration <= 0 ? int.MaxValue : (int)Math.Clamp(Math.Floor((seconds - setup) / perIteration), 0, int.MaxValue);
    }

    // Other trainers' rates make an uncalibrated trainer slower, never faster than its prior: on InstEval's 4,100 one-hot
    // columns LightGBM ran 100 times under its prior (it skips zeros), and a GAM bounded by that rate ran past its 30 s.
    private double SecondsPerUnit(string trainer) => _rate.TryGetValue(trainer, out var r) ? r : Prior(trainer) * Math.Max(1, _machineFactor);

    private static double Prior(string trainer) => Priors.GetValueOrDefault(trainer, UnknownPrior);

    // Rows × columns × the setting that multiplies the work (iterations, trees, epochs); one model per class for
    // one-versus-all trees and multiclass boosting.
    private double Work(TrialConfig config)
    {
        double Number(string name, double fallback) => config.Parameters.TryGetValue(name, out var v) ? Convert.ToDouble(v, CultureInfo.InvariantCulture) : fallback;
        var perClass = _classes > 2 ? _classes : 1;
        double iterations = config.Trainer switch
        {
            "lightgbm" => Number("numberOfIterations", 100) * perClass,
            "fasttree" or "fasttree-tweedie" or "fastforest" => Number("numberOfTrees", 100) * perClass,
            "gam" => Number("numberOfIterations", 9500),
            "sdca" => Number("maximumNumberOfIterations", 20) * perClass,
            "lbfgs" => 100 * perClass,
            "ogd" => Number("numberOfIterations", 1),
            "linear-gd" => Number("steps", 500) / 10,
            "mlp" => Number("maxEpochs", 100) * Number("width", 64) / 64,
            _ => 100,
        };
        return (double)_rows * Math.Max(1, _columns) * (Math.Max(1, iterations) + Setup(config.Trainer));
    }

    // Work before the first iteration (binning, histograms, data copies), in iterations' worth: measured on InstEval,
    // a GAM trial bounded to 104 iterations (predicted 1.4 s) ran 7.1 s, about 400 iterations' worth of setup.
    private static double Setup(string trainer) => trainer switch
    {
        "gam" => 500,
        "fasttree" or "fasttree-tweedie" or "fastforest" => 20,
        "lightgbm" => 10,
        _ => 0,
    };

    private static double Median(List<double> values)
    {
        values.Sort();
        var n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}
