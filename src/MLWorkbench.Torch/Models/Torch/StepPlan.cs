using MLWorkbench.Results;

namespace MLWorkbench.Models.Torch;

/// <summary>
/// The optimisation steps a network trains, planned against the seconds its fit may take (a search trial's
/// <see cref="TrainingTimeLimit"/>): the first steps are timed (the very first is left out, it pays for allocations),
/// then the steps that fit before the limit, less the evaluations the loop still makes and the scoring the caller makes
/// afterwards, become <see cref="TotalSteps"/>, which the learning-rate schedule runs over; every later step checks that
/// the plan still fits at the measured rate and shortens it when the machine got slower, and when not even one more
/// step fits the loop stops and keeps the model it has. Without a limit the plan is the configured steps, as before:
/// the same loop, the same schedule. A plan may also be a fraction of an epoch (<c>trainEpochs</c>): how a refit trains
/// as long as the time-planned trial it repeats did.
/// </summary>
internal sealed class StepPlan
{
    // Steps timed before the first plan (after the first, untimed one): enough to average out one slow step.
    private const int CalibrationSteps = 4;

    // Scoring an example (forward only, no gradients, length-sorted batches of 64) against training on it: 0.19 for the
    // fine-tuned MiniLM on fine-foods (11.6 ms against 62 ms, RESULTS.md issue 7); 0.3 keeps a margin until the loop has
    // timed an evaluation of its own.
    private const double ForwardShare = 0.3;

    private readonly TrainingTimeLimit? _limit;
    private readonly double? _trainEpochs;
    private readonly int _maxEpochs;
    private readonly int _evaluationExamples;
    private readonly int _evaluationsPerEpoch;
    private int _stepsPerEpoch;
    private int _rowsPerEpoch;
    private int _configuredSteps;
    private long _last;
    private double _stepSeconds;
    private double? _evaluationSeconds;
    private long _trainedExamples;

    /// <summary>A plan for a network of <paramref name="maxEpochs"/> epochs (or <paramref name="trainEpochs"/>, when set) under <paramref name="limit"/> (none: no limit).</summary>
    /// <param name="limit">The fit's time limit, or null.</param>
    /// <param name="maxEpochs">The epochs the settings ask for.</param>
    /// <param name="trainEpochs">Train this many epochs instead (fractions allowed), when set.</param>
    /// <param name="evaluationExamples">Examples the loop scores at each evaluation (its early-stopping examples).</param>
    /// <param name="evaluationsPerEpoch">Evaluations the loop makes per epoch.</param>
    public StepPlan(TrainingTimeLimit? limit, int maxEpochs, double? trainEpochs, int evaluationExamples, int evaluationsPerEpoch = 1)
    {
        if (trainEpochs is <= 0) throw new ArgumentOutOfRangeException(nameof(trainEpochs), trainEpochs, "a positive number of epochs is needed");
        (_limit, _maxEpochs, _trainEpochs, _evaluationExamples, _evaluationsPerEpoch) = (limit, Math.Max(1, maxEpochs), trainEpochs, evaluationExamples, Math.Max(1, evaluationsPerEpoch));
    }

    /// <summary>The steps the learning-rate schedule runs over: the configured steps, or those that fit.</summary>
    public int TotalSteps { get; private set; }

    /// <summary>Steps taken.</summary>
    public int Done { get; private set; }

    /// <summary>The epochs the loop may start: enough to take <see cref="TotalSteps"/>.</summary>
    public int Epochs => _stepsPerEpoch == 0 ? _maxEpochs : (int)Math.Ceiling(TotalSteps / (double)_stepsPerEpoch);

    /// <summary>True when the limit ended training before the plan did.</summary>
    public bool StoppedAtLimit { get; private set; }

    /// <summary>True once the loop should take no more steps: the plan is done, or one more step would not fit (false before <see cref="Begin"/>).</summary>
    public bool Finished => _stepsPerEpoch > 0 && (Done >= TotalSteps || StoppedAtLimit);

    /// <summary>The measured seconds per step (null before the calibration steps ran).</summary>
    public double? SecondsPerStep => Done > CalibrationSteps ? _stepSeconds / (Done - 1) : null;

    /// <summary>The steps the settings ask for.</summary>
    public int ConfiguredSteps => _configuredSteps;

    /// <summary>Called once, before the first step, with the shape of an epoch.</summary>
    /// <param name="stepsPerEpoch">Optimisation steps in one epoch.</param>
    /// <param name="rowsPerEpoch">Training examples in one epoch.</param>
    public void Begin(int stepsPerEpoch, int rowsPerEpoch)
    {
        (_stepsPerEpoch, _rowsPerEpoch) = (Math.Max(1, stepsPerEpoch), rowsPerEpoch);
        _configuredSteps = _trainEpochs is { } epochs ? Math.Max(1, (int)Math.Round(epochs * _stepsPerEpoch)) : _stepsPerEpoch * _maxEpochs;
        TotalSteps = _configuredSteps;
        if (_limit is not null) _last = _limit.Clock.GetTimestamp();
    }

    /// <summary>The fraction of the configured steps the plan keeps (1 without a limit): warm-up lengths scale by it.</summary>
    public double Scale => _configuredSteps == 0 ? 1 : TotalSteps / (double)_configuredSteps;

    /// <summary>Records a step of <paramref name="examples"/> examples, and plans (or re-plans) the steps left.</summary>
    public void StepDone(int examples)
    {
        Done++;
        _trainedExamples += examples;
        if (_limit is null) return;
        var now = _limit.Clock.GetTimestamp();
        if (Done > 1) _stepSeconds += _limit.Clock.GetElapsedTime(_last, now).TotalSeconds;
        _last = now;
        if (SecondsPerStep is not { } perStep) return;
        var affordable = Affordable(perStep);
        // The first plan sets the schedule; afterwards it only shortens, when the machine got slower (a schedule that
        // grows again would warm up and decay twice).
        if (Done + affordable < TotalSteps) TotalSteps = Math.Max(Done, Done + affordable);
        if (affordable < 1 && Done < TotalSteps) StoppedAtLimit = true;
    }

    /// <summary>Runs one of the loop's evaluations, timing it (the plan reserves that time for the evaluations to come).</summary>
    public T Evaluate<T>(Func<T> evaluate)
    {
        if (_limit is null) return evaluate();
        var start = _limit.Clock.GetTimestamp();
        var result = evaluate();
        _last = _limit.Clock.GetTimestamp();
        var seconds = _limit.Clock.GetElapsedTime(start, _last).TotalSeconds;
        _evaluationSeconds = Math.Max(_evaluationSeconds ?? 0, seconds);
        return result;
    }

    // Steps that fit in what is left: each costs a step's seconds plus its share of the evaluations per epoch; one last
    // evaluation and the caller's scoring are reserved, and a margin of 2% of the limit (at least half a second).
    private int Affordable(double perStep)
    {
        var perExample = _evaluationSeconds is { } e && _evaluationExamples > 0 ? e / _evaluationExamples : ForwardShare * perStep * _stepsPerEpoch / Math.Max(1, _rowsPerEpoch);
        var evaluation = perExample * _evaluationExamples;
        var reserve = evaluation + perExample * _limit!.ScoredAfterwards + Math.Max(0.5, 0.02 * _limit.Seconds);
        var seconds = _limit.Remaining - reserve;
        return seconds <= 0 ? 0 : (int)Math.Floor(seconds / (perStep + evaluation * _evaluationsPerEpoch / _stepsPerEpoch));
    }

    /// <summary>What was planned and trained, for results; null without a limit and without a fraction of an epoch to train.</summary>
    public TrainingPlan? Report() => _limit is null && _trainEpochs is null ? null : new TrainingPlan
    {
        AllowedSeconds = _limit?.Seconds ?? 0,
        ConfiguredEpochs = _configuredSteps / (double)Math.Max(1, _stepsPerEpoch),
        PlannedEpochs = TotalSteps / (double)Math.Max(1, _stepsPerEpoch),
        TrainedEpochs = _rowsPerEpoch == 0 ? 0 : _trainedExamples / (double)_rowsPerEpoch,
        PlannedExamples = (long)Math.Round(TotalSteps / (double)Math.Max(1, _stepsPerEpoch) * _rowsPerEpoch),
        TrainedExamples = _trainedExamples,
        SecondsPerStep = SecondsPerStep,
        StoppedAtLimit = StoppedAtLimit,
    };
}
