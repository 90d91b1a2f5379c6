using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Data;
using MLWorkbench.Bundles;
using MLWorkbench.Experiments;
using MLWorkbench.Results;
using MLWorkbench.Serving;
using MLWorkbench.Tasks;

namespace MLWorkbench.Benchmarks.Serving;

/// <summary>
/// Serving cost of the image, text and sentence-pair model families: each model is trained once (small settings: the
/// accuracy does not matter here, the serving path does), saved as a bundle under benchmarks/out/serving/ (reused when
/// present), loaded with <see cref="WorkbenchModel.Load"/>, and timed on one calling thread: every single-row
/// <c>Predict(row)</c> call (after a warm-up), then <c>PredictBatch</c> on 256 rows. Then the pool on 1 and 2 threads for
/// the n-gram model, against two separately loaded copies: small example models are served by a copy per core, so a
/// shared pool should match separate copies (large ones keep one copy and serialise). Models are trained as a user
/// trains them, by a one-candidate comparison through <see cref="Workbench.Prepare"/> that saves the selected bundle.
/// </summary>
internal static class FamiliesProbe
{
    private const int BatchRows = 256;

    private sealed record Family(string Name, string File, string Settings, int Calls, Func<string, ExperimentSpec> Train, IReadOnlyDictionary<string, string?>[] Rows);

    public static void Run(IReadOnlyList<string> args)
    {
        // "--torch-threads N": TorchSharp's intra-op threads (default: one per core); the other arguments pick families.
        var at = args.ToList().IndexOf("--torch-threads");
        if (at >= 0) TorchSharp.torch.set_num_threads(int.Parse(args[at + 1], CultureInfo.InvariantCulture));
        var only = args.Where((_, i) => at < 0 || (i != at && i != at + 1)).ToList();
        var root = ServingFixture.FindRoot();
        var folder = Path.Combine(root, "benchmarks", "out", "serving");
        Directory.CreateDirectory(folder);
        var intentsCsv = Path.Combine(root, "datasets", "intents", "intents.csv");
        var intents = Workbench.ReadCsv(intentsCsv);
        var textColumn = intents.Columns.ToList().IndexOf("text");
        var texts = intents.Rows.Select(r => Row("text", r[textColumn])).ToArray();
        var digitsFolder = Path.Combine(root, "datasets", "digits");
        var digits = Directory.GetDirectories(digitsFolder).Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d, "*.png").Order(StringComparer.Ordinal)).ToArray();
        var images = digits.Select(p => Row("image", p)).ToArray();
        // STS files: tab-separated, no header; the score in the fifth field, the sentences in the sixth and seventh.
        var stsFolder = Path.Combine(root, "datasets", "stsb-small");
        var stsLines = File.ReadAllLines(Path.Combine(stsFolder, "sts-train.csv"));
        var pairs = stsLines.Select(l => l.Split('\t')).Select(f => Row("sentence1", f[5], "sentence2", f[6])).ToArray();

        ExperimentSpec Texts(string path, string candidate, Dictionary<string, object>? settings = null) => new()
        {
            Name = "intents", Task = TaskKind.TextClassification, DataPath = intentsCsv, TextColumn = "text", Label = "intent", Device = ComputeDevice.Cpu,
            Candidates = [candidate], ModelPath = path,
            CandidateSettings = settings is null ? new Dictionary<string, IReadOnlyDictionary<string, object>>() : new() { [candidate] = settings },
        };
        // The first 200 training pairs train, the other 100 stop early; the test file is scored once, as a comparison does.
        ExperimentSpec Pairs(string path, string candidate)
        {
            var train = Path.Combine(folder, "sts-train-200.csv");
            var validation = Path.Combine(folder, "sts-train-rest.csv");
            File.WriteAllLines(train, stsLines.Take(200));
            File.WriteAllLines(validation, stsLines.Skip(200));
            return new()
            {
                Name = "sts", Task = TaskKind.SentenceSimilarity, DataPath = train, ValidationPath = validation, TestPath = Path.Combine(stsFolder, "sts-test.csv"),
                Label = "score", Device = ComputeDevice.Cpu, Candidates = [candidate], ModelPath = path,
                CandidateSettings = new Dictionary<string, IReadOnlyDictionary<string, object>> { [candidate] = new Dictionary<string, object> { ["epochs"] = 1, ["batchSize"] = 16 } },
            };
        }
        // Every ninth digit, 200 in all, copied with their class folders: the comparison trains on its training share of them.
        ExperimentSpec Digits(string path)
        {
            var subset = Path.Combine(folder, "digits-200");
            foreach (var file in digits.Where((_, i) => i % 9 == 0).Take(200))
            {
                var target = Path.Combine(subset, Path.GetFileName(Path.GetDirectoryName(file))!, Path.GetFileName(file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target, overwrite: true);
            }
            return new()
            {
                Name = "digits", Task = TaskKind.ImageClassification, DataPath = subset, Label = "class", Device = ComputeDevice.Cpu,
                Candidates = ["resnet18-lbfgs"], ModelPath = path,
            };
        }

        var families = new List<Family>
        {
            new("ngram-lbfgs", "intents-ngram-lbfgs.mlwb", "FeaturizeText n-grams + L-BFGS maximum entropy, defaults; intents texts", 2000,
                path => Texts(path, "ngram-lbfgs"), texts),
            new("transformer", "intents-transformer.mlwb", "TorchSharp encoder: width 64, 2 layers, 4 heads, ≤ 64 tokens, 3 epochs", 2000,
                path => Texts(path, "transformer", new() { ["width"] = 64, ["depth"] = 2, ["heads"] = 4, ["maxTokens"] = 64, ["maxEpochs"] = 3, ["patience"] = 3 }), texts),
            new("resnet18-lbfgs", "digits-resnet18-lbfgs.mlwb", "ResNet18 ONNX features (512) + L-BFGS; trained on part of 200 of the digits", 200,
                Digits, images),
            new("minilm-zeroshot", "sts-minilm-zeroshot.mlwb", "packaged all-MiniLM-L6-v2 (ONNX), cosine, ≤ 128 tokens; no training", 500,
                path => Pairs(path, "minilm-zeroshot"), pairs),
            new("minilm-biencoder", "sts-minilm-biencoder.mlwb", "MiniLM fine-tuned as a bi-encoder (TorchSharp): 200 pairs, 1 epoch, ≤ 128 tokens", 200,
                path => Pairs(path, "minilm-biencoder"), pairs),
            new("minilm-crossencoder", "sts-minilm-crossencoder.mlwb", "MiniLM fine-tuned as a cross-encoder (TorchSharp): 200 pairs, 1 epoch, ≤ 128 tokens", 200,
                path => Pairs(path, "minilm-crossencoder"), pairs),
        };
        if (only.Count > 0) families = families.Where(f => only.Contains(f.Name) || only.Contains("pool") && f.Name == "ngram-lbfgs").ToList();

        Console.WriteLine($"TorchSharp intra-op threads: {TorchSharp.torch.get_num_threads()}; cores: {Environment.ProcessorCount}. Load at start: {Load()}.");
        var lines = new List<string>
        {
            "| model | bundle | load s | calls | median µs | p90 µs | p99 µs | batch of 256: rows/s | µs/row |",
            "|---|---|---|---|---|---|---|---|---|",
        };
        foreach (var family in families)
        {
            var path = Path.Combine(folder, family.File);
            if (!File.Exists(path))
            {
                var clock = Stopwatch.StartNew();
                TrainAsync(family.Train(path)).GetAwaiter().GetResult();
                Console.WriteLine($"{family.Name}: trained and saved in {clock.Elapsed.TotalSeconds:F1} s ({family.Settings}).");
            }
            var load = Stopwatch.StartNew();
            using var model = WorkbenchModel.Load(path);
            var loadSeconds = load.Elapsed.TotalSeconds;
            var line = Measure(family, model, path, loadSeconds);
            Console.WriteLine(line + $"   [load {Load()}]");
            lines.Add(line);
            if (family.Name == "ngram-lbfgs")
            {
                line = MeasureBareText(path, family.Rows, family.Calls);
                Console.WriteLine(line + $"   [load {Load()}]");
                lines.Add(line);
            }
        }
        Console.WriteLine();
        foreach (var line in lines) Console.WriteLine(line);

        if (only.Count == 0 || only.Contains("pool"))
        {
            Console.WriteLine();
            PoolThroughput(Path.Combine(folder, "intents-ngram-lbfgs.mlwb"), texts, rounds: 7, TimeSpan.FromSeconds(1));
        }
    }

    private static string Measure(Family family, WorkbenchModel model, string path, double loadSeconds)
    {
        var rows = family.Rows;
        var sink = 0.0;
        double Use(Prediction p) => p.Value ?? p.Probabilities?.Values.Max() ?? 0;
        // Warm-up: past tiered compilation and the first native allocations (torch, ONNX Runtime), at least 20 calls.
        for (var (clock, i) = (Stopwatch.StartNew(), 0); i < 20 || clock.Elapsed < TimeSpan.FromSeconds(2); i++) sink += Use(model.Predict(rows[i % rows.Length]));

        var ticks = new long[family.Calls];
        for (var i = 0; i < ticks.Length; i++)
        {
            var row = rows[(i * 7) % rows.Length];
            var begin = Stopwatch.GetTimestamp();
            sink += Use(model.Predict(row));
            ticks[i] = Stopwatch.GetTimestamp() - begin;
        }
        Array.Sort(ticks);
        double Micro(long t) => t * 1e6 / Stopwatch.Frequency;
        double At(double q) => Micro(ticks[Math.Min(ticks.Length - 1, (int)(q * ticks.Length))]);

        var batch = Enumerable.Range(0, BatchRows).Select(i => rows[(i * 3 + 1) % rows.Length]).ToArray();
        var failed = model.PredictBatch(batch).Count(r => r.Error is not null); // warm-up, and every row must predict
        if (failed > 0) throw new InvalidOperationException($"{family.Name}: {failed} of {BatchRows} batch rows failed.");
        var seconds = new List<double>();
        for (var clock = Stopwatch.StartNew(); seconds.Count < 3 || (clock.Elapsed < TimeSpan.FromSeconds(3) && seconds.Count < 20);)
        {
            var begin = Stopwatch.GetTimestamp();
            sink += model.PredictBatch(batch).Sum(r => Use(r.Prediction!));
            seconds.Add((Stopwatch.GetTimestamp() - begin) / (double)Stopwatch.Frequency);
        }
        seconds.Sort();
        var perBatch = seconds[seconds.Count / 2];
        if (double.IsNaN(sink)) Console.WriteLine($"({family.Name}: a prediction was NaN)");
        var megabytes = new FileInfo(path).Length / 1e6;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {family.Name} | {megabytes:F1} MB | {loadSeconds:F1} | {family.Calls:N0} | {At(0.5):F0} | {At(0.9):F0} | {At(0.99):F0} | {BatchRows / perBatch:N0} | {perBatch * 1e6 / BatchRows:F0} |");
    }

    /// <summary>
    /// The floor for the n-gram model: a bare ML.NET PredictionEngine (text in, scores out) over the bundle's own
    /// <c>model/mlnet.zip</c>, so the cost of the bundle's per-call path (a data view per call) shows against it.
    /// </summary>
    private static string MeasureBareText(string path, IReadOnlyDictionary<string, string?>[] rows, int calls)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(path);
        using var stream = new MemoryStream();
        // The bundle format's model folder, as ServingFixture reads it.
        using (var entry = zip.GetEntry("model/mlnet.zip")!.Open()) entry.CopyTo(stream);
        stream.Position = 0;
        var ml = new Microsoft.ML.MLContext(0);
        var transformer = ml.Model.Load(stream, out _);
        using var engine = ml.Model.CreatePredictionEngine<BareText, BareScores>(transformer);
        var input = new BareText();
        var output = new BareScores();
        var texts = rows.Select(r => r["text"]!).ToArray();
        var sink = 0f;
        for (var (clock, i) = (Stopwatch.StartNew(), 0); clock.Elapsed < TimeSpan.FromSeconds(2); i++)
        {
            input.Text = texts[i % texts.Length];
            engine.Predict(input, ref output);
            sink += output.Score[0];
        }
        var ticks = new long[calls];
        for (var i = 0; i < calls; i++)
        {
            input.Text = texts[(i * 7) % texts.Length];
            var begin = Stopwatch.GetTimestamp();
            engine.Predict(input, ref output);
            sink += output.Score.Max();
            ticks[i] = Stopwatch.GetTimestamp() - begin;
        }
        Array.Sort(ticks);
        double At(double q) => ticks[Math.Min(ticks.Length - 1, (int)(q * ticks.Length))] * 1e6 / Stopwatch.Frequency;

        // 256 texts through the engine one by one against one data view over them, alternating, so load drift hits both.
        var batch = Enumerable.Range(0, BatchRows).Select(i => new BareText { Text = texts[(i * 3 + 1) % texts.Length] }).ToArray();
        var (engineTimes, viewTimes) = (new List<double>(), new List<double>());
        for (var round = 0; round < 11; round++)
        {
            var begin = Stopwatch.GetTimestamp();
            foreach (var row in batch)
            {
                engine.Predict(row, ref output);
                sink += output.Score[0];
            }
            engineTimes.Add((Stopwatch.GetTimestamp() - begin) * 1e6 / Stopwatch.Frequency / BatchRows);
            begin = Stopwatch.GetTimestamp();
            var scores = transformer.Transform(ml.Data.LoadFromEnumerable(batch)).GetColumn<float[]>("Score").ToArray();
            sink += scores[0][0];
            viewTimes.Add((Stopwatch.GetTimestamp() - begin) * 1e6 / Stopwatch.Frequency / BatchRows);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ngram-lbfgs, 256 texts, median of 11 alternating rounds: bare PredictionEngine row by row {Median(engineTimes):F1} µs/row; one data view {Median(viewTimes):F1} µs/row."));
        if (float.IsNaN(sink)) Console.WriteLine("(bare engine: a score was NaN)");
        return string.Create(CultureInfo.InvariantCulture,
            $"| ngram-lbfgs, bare ML.NET PredictionEngine (floor) | same | – | {calls:N0} | {At(0.5):F0} | {At(0.9):F0} | {At(0.99):F0} | {1e6 / Median(engineTimes):N0} | {Median(engineTimes):F0} |");
    }

    /// <summary>
    /// Rows/s of single-row calls from 1 and 2 threads through one shared pool, and from 2 threads each with its own
    /// loaded copy (no shared lock). The three alternate in 1-second rounds; the median round of each is reported.
    /// </summary>
    private static void PoolThroughput(string path, IReadOnlyDictionary<string, string?>[] rows, int rounds, TimeSpan perRound)
    {
        using var pool = new WorkbenchModelPool();
        pool.Add("text", path);
        using var first = WorkbenchModel.Load(path);
        using var second = WorkbenchModel.Load(path);
        var copies = new[] { first, second };
        var paths = new (string Name, int Threads, Func<int, IReadOnlyDictionary<string, string?>, Prediction> Call)[]
        {
            ("shared pool, 1 thread", 1, (_, r) => pool.Predict("text", r)),
            ("shared pool, 2 threads", 2, (_, r) => pool.Predict("text", r)),
            ("2 threads, a loaded copy each", 2, (t, r) => copies[t].Predict(r)),
        };
        var rates = paths.Select(_ => new List<double>()).ToArray();
        foreach (var p in paths) Rate(p.Threads, TimeSpan.FromSeconds(1), p.Call, rows);
        for (var r = 0; r < rounds; r++)
            for (var p = 0; p < paths.Length; p++)
                rates[p].Add(Rate(paths[p].Threads, perRound, paths[p].Call, rows));
        Console.WriteLine($"Pool throughput, ngram-lbfgs, single-row Predict; median of {rounds} alternating {perRound.TotalSeconds:F0}-s rounds. Load: {Load()}.");
        Console.WriteLine("| path | rows/s | vs 1 thread |");
        Console.WriteLine("|---|---|---|");
        var baseline = Median(rates[0]);
        for (var p = 0; p < paths.Length; p++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {paths[p].Name} | {Median(rates[p]):N0} | {Median(rates[p]) / baseline:F2}× |"));
    }

    private static double Rate(int threads, TimeSpan duration, Func<int, IReadOnlyDictionary<string, string?>, Prediction> predict, IReadOnlyDictionary<string, string?>[] rows)
    {
        var counts = new long[threads];
        using var start = new Barrier(threads + 1);
        var stopAt = 0L;
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            var (i, n) = (t * 97, 0L);
            while (Stopwatch.GetTimestamp() < Volatile.Read(ref stopAt))
            {
                for (var k = 0; k < 16; k++) _ = predict(t, rows[i++ % rows.Length]);
                n += 16;
            }
            counts[t] = n;
        })).ToArray();
        foreach (var w in workers) w.Start();
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref stopAt, Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency));
        start.SignalAndWait();
        foreach (var w in workers) w.Join();
        return counts.Sum() / clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static IReadOnlyDictionary<string, string?> Row(params string[] pairs)
    {
        var row = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < pairs.Length; i += 2) row[pairs[i]] = pairs[i + 1];
        return row;
    }

    /// <summary>Runs a one-candidate comparison that saves its bundle at the spec's model path.</summary>
    internal static async Task TrainAsync(ExperimentSpec spec)
    {
        var result = await new Workbench().Prepare(spec).RunAsync(null, CancellationToken.None);
        if (result.Trials is not [{ Status: TrialStatus.Succeeded }] || !File.Exists(spec.ModelPath))
            throw new InvalidOperationException($"{spec.Candidates[0]} did not train: {result.Trials.FirstOrDefault()?.Reason ?? "no bundle written"}.");
    }
}

public sealed class BareText
{
    public string Text { get; set; } = "";
}

public sealed class BareScores
{
    public float[] Score { get; set; } = [];
}
