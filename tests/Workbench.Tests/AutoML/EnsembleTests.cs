using MLWorkbench.AutoML;
using MLWorkbench.Search;
using MLWorkbench.Serving;
using MLWorkbench.Similarity;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Ensemble;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.Tests.Bundles;
using MLWorkbench.TextClassification;
using Xunit;

namespace MLWorkbench.Tests.AutoML;

/// <summary>
/// The ensemble candidate: greedy weighted ensemble selection with replacement (Caruana et al., 2004) over the best
/// trials' validation predictions, weights fitted on one half of the rows and judged against the winner on the other,
/// chosen only when it wins there, and saved as one bundle that predicts what it predicted in memory.
/// </summary>
public sealed class EnsembleTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    [Fact]
    public void Two_complementary_classifiers_both_get_weight_and_their_blend_beats_each_on_rows_the_weights_never_saw()
    {
        var labels = Enumerable.Range(0, 200).Select(i => (float)(i % 3)).ToArray();
        // A is sure and right on even rows and slightly wrong elsewhere; B the other way round; C guesses.
        var a = Complementary(labels, even: true);
        var b = Complementary(labels, even: false);
        var c = Predictions.FromProbabilities(labels.Select((_, i) => new[] { 0.34f, 0.33f, 0.33f }).ToArray());

        var verdict = EnsembleSelection.Judge(TaskKind.MulticlassClassification, labels, [a, b, c], 3, seed: 4);

        Assert.True(verdict.Wins);
        Assert.True(verdict.Weights[0] > 0.2 && verdict.Weights[1] > 0.2, string.Join(", ", verdict.Weights));
        Assert.Equal(1.0, verdict.Weights.Sum(), 9);
        Assert.Equal(1.0, verdict.Score, 9);
        Assert.InRange(verdict.WinnerScore, 0.3, 0.7);
        Assert.Equal((100, 100), (verdict.FitRows, verdict.JudgeRows));
    }

    [Fact]
    public void Regression_scores_are_averaged_and_opposite_biases_cancel()
    {
        var labels = Enumerable.Range(0, 80).Select(i => (float)Math.Sin(i)).ToArray();
        var high = Predictions.Regression(labels.Select(y => y + 1f).ToArray());
        var low = Predictions.Regression(labels.Select(y => y - 1f).ToArray());

        // Each is 1 off; greedy selection alternates between them, so that the biases cancel to within one round's share.
        var weights = EnsembleSelection.Fit(TaskKind.Regression, labels, [high, low], 0);
        Assert.All(weights, w => Assert.InRange(w, 0.4, 0.6));
        Assert.InRange(RegressionMetrics.Compute(labels, EnsembleModel.Blend([high, low], weights).Values)[RegressionMetrics.Rmse], 0, 1.0 / EnsembleSelection.Rounds + 1e-6);
        var blended = EnsembleModel.Blend([high, low], [0.5, 0.5]);
        Assert.All(blended.Values.Zip(labels), p => Assert.Equal(p.Second, p.First, 5));
    }

    [Fact]
    public void An_ensemble_that_only_ties_the_winner_on_the_primary_metric_is_not_chosen()
    {
        // Found in a quickstart run: a blend with the winner's accuracy and a lower log loss was chosen, and its reason read
        // "0.9693 against the winner's 0.9693". Every member is right on every row; the winner is unsure everywhere, the
        // other two are sure on alternate rows, so that their blend has the same accuracy and a lower log loss.
        var labels = Enumerable.Range(0, 120).Select(i => (float)(i % 3)).ToArray();
        var unsure = Predictions.FromProbabilities(labels.Select(y => OneHot((int)y, 0.4f)).ToArray());
        Predictions SureOn(bool even) => Predictions.FromProbabilities(labels.Select((y, i) => OneHot((int)y, (i % 2 == 0) == even ? 0.95f : 0.34f)).ToArray());

        var verdict = EnsembleSelection.Judge(TaskKind.MulticlassClassification, labels, [unsure, SureOn(true), SureOn(false)], 3, seed: 1);

        Assert.True(verdict.Weights.Count(w => w > 0) > 1, string.Join(", ", verdict.Weights));
        Assert.True(verdict.Tied);
        Assert.False(verdict.Wins);
        var info = EnsembleReport.Describe([Entry(0), Entry(1), Entry(2)], verdict, "the validation examples");
        Assert.Contains("not chosen: it tied with the winner at 1 on 60 rows", info.Reason);
    }

    [Fact]
    public void An_ensemble_that_does_not_win_on_the_judging_rows_is_not_chosen()
    {
        var labels = Enumerable.Range(0, 120).Select(i => (float)(i % 3)).ToArray();
        // The winner is right everywhere: greedy selection keeps it alone, and one member is no ensemble.
        var perfect = Predictions.FromProbabilities(labels.Select(y => OneHot((int)y, 0.8f)).ToArray());
        var weak = Complementary(labels, even: true);
        var alone = EnsembleSelection.Judge(TaskKind.MulticlassClassification, labels, [perfect, weak], 3, seed: 1);
        Assert.False(alone.Wins);
        Assert.Equal([1.0, 0.0], alone.Weights);

        // Two copies of one model: a blend of them is that model, which does not beat the winner.
        var copies = EnsembleSelection.Judge(TaskKind.Regression, labels, [Predictions.Regression(labels.Select(y => y + 0.3f).ToArray()),
            Predictions.Regression(labels.Select(y => y + 0.3f).ToArray())], 0, seed: 1);
        Assert.False(copies.Wins);
        var info = EnsembleReport.Describe([Entry(0), Entry(1)], alone, "the validation examples");
        Assert.Contains("not chosen", info.Reason);
        Assert.Equal(0, Assert.Single(info.Members).Number);
    }

    [Fact]
    public void A_member_that_diverged_gets_no_weight_and_predictions_of_another_shape_are_not_offered()
    {
        var labels = Enumerable.Range(0, 60).Select(i => (float)i).ToArray();
        var good = Predictions.Regression(labels.Select(y => y + 0.5f).ToArray());
        var diverged = Predictions.Regression(labels.Select(_ => float.NaN).ToArray());
        Assert.Equal([1.0, 0.0], EnsembleSelection.Fit(TaskKind.Regression, labels, [good, diverged], 0));

        var pool = new EnsemblePool();
        pool.Offer(0, new TrialConfig("a", new Dictionary<string, object>()), 0.1, Predictions.FromProbabilities([[0.4f, 0.6f], [0.7f, 0.3f]]));
        pool.Offer(1, new TrialConfig("b", new Dictionary<string, object>()), 0.2, Predictions.Regression([1, 0]));
        pool.Offer(2, new TrialConfig("c", new Dictionary<string, object>()), 0.3, Predictions.FromProbabilities([[0.5f, 0.5f], [0.9f, 0.1f]]));
        Assert.Equal([0, 2], pool.WithWinnerFirst(0).Select(e => e.Number));
        Assert.Empty(pool.WithWinnerFirst(7));
    }

    [Fact]
    public void The_pool_keeps_the_best_trials_and_the_best_of_every_other_candidate()
    {
        var pool = new EnsemblePool();
        var p = Predictions.Regression([1, 2]);
        // Twenty LightGBM trials better than every FastTree trial, and two FastTree trials.
        pool.Offer(100, new TrialConfig("fasttree", new Dictionary<string, object>()), 0.9, p);
        pool.Offer(101, new TrialConfig("fasttree", new Dictionary<string, object>()), 0.8, p);
        for (var i = 0; i < 20; i++) pool.Offer(i, new TrialConfig("lightgbm", new Dictionary<string, object> { ["i"] = i }), 0.5 - i / 100.0, p);
        var kept = pool.WithWinnerFirst(19);
        Assert.Equal(EnsembleSelection.MaxMembers + 1, kept.Count);
        Assert.Equal(Enumerable.Range(0, EnsembleSelection.MaxMembers).Select(k => 19 - k), kept.Where(e => e.Config.Trainer == "lightgbm").Select(e => e.Number));
        Assert.Equal(101, Assert.Single(kept, e => e.Config.Trainer == "fasttree").Number);
    }

    [Fact]
    public void Members_are_admitted_best_first_while_their_predicted_refits_fit_in_a_quarter_of_the_search_and_the_others_are_named()
    {
        // Trial 1 is the winner (its refit is the final model's anyway, however long); 60 s of search leave 15 s for the others.
        var offered = new[] { Entry(1, "mlp"), Entry(2, "lightgbm"), Entry(3, "mlp"), Entry(4, "fasttree"), Entry(5, "gam") };
        var seconds = new Dictionary<int, double> { [1] = 500, [2] = 6, [3] = 40, [4] = 8, [5] = 3 };
        var (admitted, leftOut) = EnsembleAdmission.Admit(offered, c => seconds[(int)c.Parameters["n"]], 60);
        // 6 s (trial 2) fits; trial 3's 40 s does not; 6 + 8 = 14 s fits; trial 5's 3 s would make 17 s: left out.
        Assert.Equal([1, 2, 4], admitted.Select(m => m.Number));
        Assert.Equal(2, leftOut.Count);
        Assert.StartsWith("trial 3 (mlp): its refit is predicted at 40 s, more than the 9 s left of the 15 s (25% of the search's 60 s)", leftOut[0]);
        Assert.StartsWith("trial 5 (gam): its refit is predicted at 3 s, more than the 1 s left", leftOut[1]);

        // A longer search allows every member; a prediction that is not a number admits nothing.
        Assert.Equal(5, EnsembleAdmission.Admit(offered, c => seconds[(int)c.Parameters["n"]], 600).Admitted.Count);
        Assert.Equal([1], EnsembleAdmission.Admit(offered, _ => double.NaN, 600).Admitted.Select(m => m.Number));
        Assert.Empty(EnsembleAdmission.Admit([], _ => 0, 60).Admitted);
    }

    private static EnsembleEntry Entry(int number, string trainer) =>
        new(number, new TrialConfig(trainer, new Dictionary<string, object> { ["n"] = number }), number, Predictions.Regression([1, 2]));

    [Fact]
    public async Task The_search_chooses_an_ensemble_of_complementary_trials_only_when_it_wins_and_records_members_and_weights()
    {
        var (train, validation, test) = Texts();
        var result = await Search(train, validation, test, ("even", true), ("odd", false));
        var automl = result.AutoML!;
        var ensemble = automl.Ensemble!;
        Assert.True(ensemble.Chosen, ensemble.Reason);
        Assert.Equal("ensemble", automl.Final!.Candidate);
        Assert.Equal("ensemble", automl.Final.Family);
        Assert.Equal(["even", "odd"], ensemble.Members.Select(m => m.Candidate).Order());
        Assert.Equal(1.0, ensemble.Members.Sum(m => m.Weight), 9);
        Assert.Equal(validation.Rows, ensemble.FitRows + ensemble.JudgeRows);
        Assert.Equal("the validation examples", ensemble.Rows);
        // On test, which neither the weights nor the selection saw: the blend is right everywhere, each member on half.
        Assert.Equal(1.0, automl.Final.Metrics.Test["accuracy"], 9);
        Assert.InRange(ensemble.Winner!.Metrics.Test["accuracy"], 0.4, 0.6);
        Assert.Contains("trial", Convert.ToString(automl.Final.Hyperparameters["members"]));

        // Two copies of the same model: recorded, not chosen, and the winner stays final.
        var same = await Search(train, validation, test, ("even", true), ("even-again", true));
        Assert.False(same.AutoML!.Ensemble!.Chosen);
        Assert.Contains("not chosen", same.AutoML.Ensemble.Reason);
        Assert.NotEqual("ensemble", same.AutoML.Final!.Candidate);
        Assert.Null(same.AutoML.Ensemble.Winner);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_winner_trained_for_the_final_model_is_the_ensembles_member_and_is_not_trained_twice(bool refit)
    {
        var (train, validation, test) = Texts();
        var fits = new System.Collections.Concurrent.ConcurrentQueue<(string Name, int Rows)>();
        var result = await Search(train, validation, test, fits, refit, ("even", true), ("odd", false));

        var automl = result.AutoML!;
        Assert.True(automl.Ensemble!.Chosen, automl.Ensemble.Reason);
        // The winner: once in the search, and with the refit once more on the training and validation examples, which is
        // the model the ensemble uses (without the refit, the search's own model is final and the ensemble's). The other
        // member: once in the search, once for the ensemble, as the winner was.
        var winner = automl.Ensemble.Winner!.Candidate;
        var other = winner == "even" ? "odd" : "even";
        int[] expected = refit ? [train.Rows, train.Rows + validation.Rows] : [train.Rows];
        Assert.Equal(expected, fits.Where(f => f.Name == winner).Select(f => f.Rows));
        Assert.Equal(refit ? expected : [train.Rows, train.Rows], fits.Where(f => f.Name == other).Select(f => f.Rows));
        Assert.Equal(refit ? train.Rows + validation.Rows : train.Rows, automl.FinalTrainRows);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_text_search_chooses_an_ensemble_whose_bundle_predicts_what_the_search_scored_with_or_without_refit(bool refit)
    {
        using var dir = new TempFolder();
        var (train, test) = TwoKindsOfText(dir.Path);
        var outDir = Path.Combine(dir.Path, "out");
        string[] args = ["automl", "--task", "text-classification", "--train", train, "--test", test, "--label", "label", "--text", "text",
            "--trainers", "ngram-lbfgs,ngram-lightgbm", "--trials", "2", "--seed", "3", "--out", outDir];
        var (code, _, error) = await MlwbCommand.RunAsync(refit ? args : [.. args, "--no-refit"]);
        Assert.True(code == 0, error);

        var result = ResultsFile.Read(Path.Combine(outDir, "results.json")).Experiments.Single();
        var automl = result.AutoML!;
        // Each trainer's default is right on one kind of text and near chance on the other: only their blend is right on both.
        Assert.True(automl.Ensemble!.Chosen, automl.Ensemble.Reason);
        Assert.Equal(["ngram-lbfgs", "ngram-lightgbm"], automl.Ensemble.Members.Select(m => m.Candidate).Order());
        var final = automl.Final!;
        Assert.Equal("ensemble", final.Candidate);
        Assert.True(final.Metrics.Test["accuracy"] > automl.Ensemble.Winner!.Metrics.Test["accuracy"],
            $"ensemble {final.Metrics.Test["accuracy"]}, winner {automl.Ensemble.Winner.Metrics.Test["accuracy"]}");
        if (refit)
        {
            Assert.Equal(1200, automl.Refit!.TrainRows);
            Assert.Equal(1200, automl.FinalTrainRows);
        }
        else
        {
            // The members as their trials were trained: the search's training examples, never the validation examples.
            Assert.Null(automl.Refit);
            Assert.Equal(960, automl.FinalTrainRows);
            Assert.Contains("each member trained as in its trial (--no-refit)", automl.FinalRows);
        }

        // The saved bundle is the ensemble, and predicts every test text as the search scored it in memory.
        using var model = WorkbenchModel.Load(Path.Combine(outDir, "model.mlwb"));
        Assert.Equal("ensemble-text", model.Manifest.ModelFormat);
        var texts = File.ReadAllLines(test).Skip(1).Select(l => l.Split(',')[0]).ToArray();
        var predicted = model.PredictBatch(texts.Select(t => (IReadOnlyDictionary<string, string?>)new Dictionary<string, string?> { ["text"] = t }));
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(result.ClassNames![(int)final.TestPredictions![i]], predicted[i].Prediction!.PredictedLabel);
            Assert.Equal(final.TestConfidences![i], predicted[i].Prediction!.Probability!.Value, 1e-5);
        }
    }

    [Fact]
    public async Task A_tabular_ensemble_bundle_predicts_what_the_ensemble_predicted_in_memory()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(BundleFixtures.MulticlassCsv(dir.Path, 200));
        var rows = Enumerable.Range(0, data.Rows.Count).ToArray();
        var featurizer = TabularFeaturizer.Fit(data, "label", TaskKind.MulticlassClassification, rows);
        var matrix = featurizer.Transform(data, rows);
        var context = new TrainContext(TaskKind.MulticlassClassification, featurizer.ClassNames!.Count, 5, ComputeDevice.Cpu);
        var members = new List<ITrainedModel<FeatureMatrix>>();
        foreach (var name in new[] { "lightgbm", "lbfgs" })
        {
            var definition = TrainerCatalog.Find(name)!;
            members.Add(await definition.Create(TaskKind.MulticlassClassification, definition.Space(TaskKind.MulticlassClassification).Initial)
                .FitAsync(matrix, matrix, context, CancellationToken.None));
        }
        using var ensemble = new EnsembleModel<FeatureMatrix>(members, [0.6, 0.4], TaskKind.MulticlassClassification);
        var before = ensemble.Predict(matrix);
        var path = Path.Combine(dir.Path, "ensemble.mlwb");
        var source = new BundleSource("label", "ensemble", ModelFamily.Ensemble, new Dictionary<string, object?> { ["members"] = "lightgbm 0.6, lbfgs 0.4" },
            new Dictionary<string, double> { ["accuracy"] = 0.9 }, null, data.Sha256);
        await ModelBundle.SaveAsync(path, ensemble, featurizer, source, CancellationToken.None);

        using var loaded = WorkbenchModel.Load(path);
        Assert.Equal("ensemble-tabular", loaded.Manifest.ModelFormat);
        var saved = new SavedModel(path, data, "label", before);
        var results = loaded.PredictBatch(saved.Rows);
        for (var i = 0; i < rows.Length; i++) BundleFixtures.AssertSame(saved, i, results[i].Prediction!, featurizer.ClassNames);
    }

    [Fact]
    public async Task A_text_ensemble_bundle_predicts_what_the_ensemble_predicted_in_memory_and_names_bad_rows()
    {
        using var dir = new TempFolder();
        var texts = Keywords(48);
        var context = new TrainContext(TaskKind.TextClassification, 3, 3, ComputeDevice.Cpu);
        var members = new List<ITrainedModel<TextExamples>>
        {
            await TextCandidates.Create("ngram-lbfgs").FitAsync(texts, texts, context, CancellationToken.None),
            await TextCandidates.Create("ngram-sdca").FitAsync(texts, texts, context, CancellationToken.None),
        };
        using var ensemble = new EnsembleModel<TextExamples>(members, [0.25, 0.75], TaskKind.TextClassification);
        var before = ensemble.Predict(texts);
        var path = Path.Combine(dir.Path, "texts.mlwb");
        await ModelBundle.SaveAsync(path, ensemble, TaskKind.TextClassification, texts.ClassNames,
            new BundleSource("label", "ensemble", ModelFamily.Ensemble, new Dictionary<string, object?>(), new Dictionary<string, double>(), null, "00"), CancellationToken.None);

        using var loaded = WorkbenchModel.Load(path);
        Assert.Equal("ensemble-text", loaded.Manifest.ModelFormat);
        var rows = texts.Texts.Select(t => (IReadOnlyDictionary<string, string?>)new Dictionary<string, string?> { ["text"] = t }).Append(new Dictionary<string, string?> { ["text"] = "" }).ToArray();
        var results = loaded.PredictBatch(rows);
        for (var i = 0; i < texts.Rows; i++)
        {
            Assert.Equal(texts.ClassNames![(int)before.Values[i]], results[i].Prediction!.PredictedLabel);
            for (var c = 0; c < 3; c++) Assert.Equal(before.Probabilities![i][c], results[i].Prediction!.Probabilities![texts.ClassNames[c]], 1e-5);
        }
        Assert.Contains("'text' is empty", results[^1].Error);
    }

    [Fact]
    public async Task A_sentence_pair_ensemble_bundle_averages_its_members_scores_as_in_memory()
    {
        using var dir = new TempFolder();
        string[] words = ["a", "man", "is", "playing", "the", "guitar", "woman", "cat", "sleeps", "on", "sofa", "dog"];
        var random = new Random(9);
        var first = new List<string>();
        var second = new List<string>();
        var scores = new List<float>();
        for (var i = 0; i < 40; i++)
        {
            var a = Enumerable.Range(0, 6).Select(_ => words[random.Next(words.Length)]).ToArray();
            var shared = random.Next(7);
            first.Add(string.Join(' ', a));
            second.Add(string.Join(' ', a.Take(shared).Concat(Enumerable.Range(0, 6 - shared).Select(_ => words[random.Next(words.Length)]))));
            scores.Add(5f * shared / 6);
        }
        var pairs = new SentencePairs(first, second, [.. scores], ScoreRange.StsBenchmark);
        var context = new TrainContext(TaskKind.SentenceSimilarity, 0, 3, ComputeDevice.Cpu);
        var members = new List<ITrainedModel<SentencePairs>>();
        foreach (var trees in new[] { 5, 30 })
            members.Add(await SimilarityCandidates.Lexical(LexicalTrainer.FastTree, new LexicalOptions { Trees = trees, MinimumExamplesPerLeaf = 3 })
                .FitAsync(pairs, pairs, context, CancellationToken.None));
        using var ensemble = new EnsembleModel<SentencePairs>(members, [0.3, 0.7], TaskKind.SentenceSimilarity);
        var before = ensemble.Predict(pairs);
        Assert.Equal(0.3 * members[0].Predict(pairs).Values[2] + 0.7 * members[1].Predict(pairs).Values[2], before.Values[2], 5);
        var path = Path.Combine(dir.Path, "pairs.mlwb");
        await ModelBundle.SaveAsync(path, ensemble, TaskKind.SentenceSimilarity, null,
            new BundleSource("score", "ensemble", ModelFamily.Ensemble, new Dictionary<string, object?>(), new Dictionary<string, double>(), null, "00"), CancellationToken.None);

        using var loaded = WorkbenchModel.Load(path);
        Assert.Equal("ensemble-pairs", loaded.Manifest.ModelFormat);
        for (var i = 0; i < pairs.Rows; i++) Assert.Equal(before.Values[i], loaded.ScorePair(pairs.First[i], pairs.Second[i]), 1e-5);
        Assert.Throws<NotSupportedException>(() => loaded.Embed("a man"));
    }

    private static Predictions Complementary(float[] labels, bool even) => Predictions.FromProbabilities(labels.Select((y, i) =>
        (i % 2 == 0) == even ? OneHot((int)y, 0.9f) : Slightly((int)y)).ToArray());

    private static float[] OneHot(int label, float p)
    {
        var q = new float[3];
        for (var c = 0; c < 3; c++) q[c] = c == label ? p : (1 - p) / 2;
        return q;
    }

    // Wrong, but not by much: the next class 0.45, the right one 0.35.
    private static float[] Slightly(int label)
    {
        var q = new float[3];
        q[label] = 0.35f;
        q[(label + 1) % 3] = 0.45f;
        q[(label + 2) % 3] = 0.2f;
        return q;
    }

    private static EnsembleEntry Entry(int number) => new(number, new TrialConfig("t" + number, new Dictionary<string, object>()), 0, Predictions.Regression([]));

    private static Task<ExperimentResult> Search(TextExamples train, TextExamples validation, TextExamples test, params (string Name, bool Even)[] trainers) =>
        Search(train, validation, test, null, true, trainers);

    private static async Task<ExperimentResult> Search(TextExamples train, TextExamples validation, TextExamples test,
        System.Collections.Concurrent.ConcurrentQueue<(string Name, int Rows)>? fits, bool refit, params (string Name, bool Even)[] trainers)
    {
        var definitions = trainers.Select(t => new TrainerDefinition<TextExamples>(t.Name, ModelFamily.MlNet, TaskKind.TextClassification,
            new SearchSpace(t.Name, [], SearchPoint.Of(), RelativeCost: 1), _ => new Half(t.Name, t.Even, fits))).ToArray();
        var identity = new ExperimentResult { Name = "halves", Dataset = new DatasetInfo { Name = "halves", Sha256 = "00" } };
        return await AutoMLSearch.Holdout(identity, TaskKind.TextClassification, train, validation, test, definitions, (d, rows) => d.Subset(rows),
            new AutoMLOptions { Task = TaskKind.TextClassification, Label = "label", MaxTrials = trainers.Length, BudgetSeconds = null, Seed = 3, Tuner = "random", Refit = refit },
            (a, b) => a.Concat(b)).RunAsync();
    }

    // Texts "text i" labelled i mod 3: a Half model reads i from the text.
    private static (TextExamples Train, TextExamples Validation, TextExamples Test) Texts()
    {
        TextExamples Make(int rows, int offset) => new(Enumerable.Range(offset, rows).Select(i => $"text {i}").ToArray(),
            Enumerable.Range(offset, rows).Select(i => (float)(i % 3)).ToArray(), Classes);
        return (Make(60, 0), Make(80, 1000), Make(60, 2000));
    }

    /// <summary>
    /// Texts of two kinds, alternating: "alpha" and seven words from 500 random ones, positive when most of them are among
    /// the 250 positive words (a linear model over words learns that; trees see each word too rarely); and "beta" with two
    /// words apart, positive when exactly one is "left" or "up" (an exclusive or: trees learn it, a linear model cannot).
    /// 1,200 training and 300 test rows.
    /// </summary>
    private static (string Train, string Test) TwoKindsOfText(string folder)
    {
        var random = new Random(3);
        const string letters = "bcdfghjklmnpqrstvwz";
        var words = new HashSet<string>();
        while (words.Count < 500) words.Add(new string(Enumerable.Range(0, 6).Select(_ => letters[random.Next(letters.Length)]).ToArray()));
        var positive = words.Take(250).ToHashSet();
        var all = words.ToArray();
        string[] filler = ["table", "river", "green", "quickly", "under", "paper", "stone", "light"];
        string Row(int i)
        {
            if (i % 2 == 0)
            {
                var cues = Enumerable.Range(0, 7).Select(_ => all[random.Next(all.Length)]).ToArray();
                return $"alpha {string.Join(' ', cues)},{(cues.Count(positive.Contains) >= 4 ? "pos" : "neg")}";
            }
            bool left = random.Next(2) == 0, up = random.Next(2) == 0;
            return $"beta {(left ? "left" : "right")} {string.Join(' ', Enumerable.Range(0, 3).Select(_ => filler[random.Next(filler.Length)]))} {(up ? "up" : "down")}," +
                   (left != up ? "pos" : "neg");
        }
        string Write(string name, int rows)
        {
            var path = Path.Combine(folder, name);
            File.WriteAllLines(path, ["text,label", .. Enumerable.Range(0, rows).Select(Row)]);
            return path;
        }
        return (Write("train.csv", 1200), Write("test.csv", 300));
    }

    private static TextExamples Keywords(int rows)
    {
        string[] filler = ["table", "river", "green", "quickly", "under", "paper"];
        var random = new Random(7);
        var texts = new List<string>();
        for (var i = 0; i < rows; i++)
        {
            var words = Enumerable.Range(0, 4).Select(_ => filler[random.Next(filler.Length)]).ToList();
            words.Insert(random.Next(words.Count + 1), Classes[i % 3] + "word");
            texts.Add(string.Join(' ', words));
        }
        return new TextExamples(texts, Enumerable.Range(0, rows).Select(i => (float)(i % 3)).ToArray(), Classes);
    }

    /// <summary>A stand-in sure and right on the texts whose number is even (or odd), slightly wrong on the others.</summary>
    private sealed class Half(string name, bool even, System.Collections.Concurrent.ConcurrentQueue<(string Name, int Rows)>? fits = null) : ICandidate<TextExamples>
    {
        public string Name => name;
        public ModelFamily Family => ModelFamily.MlNet;
        public string? SkipReason => null;
        public IReadOnlyDictionary<string, object?> Hyperparameters => new Dictionary<string, object?> { ["even"] = even };

        public Task<ITrainedModel<TextExamples>> FitAsync(TextExamples train, TextExamples validation, TrainContext context, CancellationToken cancellationToken)
        {
            fits?.Enqueue((name, train.Rows));
            return Task.FromResult<ITrainedModel<TextExamples>>(new Model(even));
        }

        private sealed class Model(bool even) : ITrainedModel<TextExamples>
        {
            public IReadOnlyList<Curve> Curves => [];

            public Predictions Predict(TextExamples data) => Predictions.FromProbabilities(data.Texts.Select(t =>
            {
                var i = int.Parse(t["text ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                return (i % 2 == 0) == even ? OneHot(i % 3, 0.9f) : Slightly(i % 3);
            }).ToArray());

            public void Dispose() { }
        }
    }
}
