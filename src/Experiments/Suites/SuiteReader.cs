using System.Globalization;
using System.Text.RegularExpressions;
using MLWorkbench.AutoML;
using MLWorkbench.Data;
using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Tasks;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using MLWorkbench.Search;

namespace MLWorkbench.Cli.Suites;

/// <summary>
/// Reads a suite file (YAML; schema in docs/suites.md) and checks it, reporting the first problem with its
/// line and column. Paths inside a suite are relative to the suite file's folder.
/// </summary>
internal static partial class SuiteReader
{
    private static readonly string[] SuiteKeys = ["name", "seed", "device", "precision", "output", "encoding", "experiments"];
    private static readonly string[] ExperimentKeys = ["name", "task", "data", "test", "validation", "label", "text", "split", "candidates", "seed", "encoding", "automl"];

    /// <summary>A suite is a page of settings; a bigger file is a mistake or an attack, refused before it is parsed.</summary>
    internal const int MaxBytes = 1 << 20;
    private static readonly string[] AutoMLKeys = ["budget", "trials", "tuner", "folds", "parallel", "pruner", "rowRungMinRows"];
    private static readonly string[] SplitKeys = ["validation", "test"];

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex NamePattern();

    public static Suite Read(string path)
    {
        if (!File.Exists(path))
            throw new WorkbenchInputException($"Suite file '{path}' does not exist.");
        if (new FileInfo(path).Length is var size and > MaxBytes)
            throw new WorkbenchInputException(string.Create(CultureInfo.InvariantCulture,
                $"Suite file '{path}' is {size:N0} bytes; a suite may be at most {MaxBytes:N0} bytes."));
        var (text, sha) = DataFileText.ReadAll(path, "Suite file");
        var stream = new YamlStream();
        // Bounded at the event level: YamlStream builds nodes recursively and hashes alias-expanded keys.
        var parser = new BoundedYamlParser(new Parser(new StringReader(text)));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            throw new WorkbenchInputException($"Suite file '{path}', line {e.Start.Line}, column {e.Start.Column}: {FirstSentence(e.Message)}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or FormatException or OverflowException)
        {
            // YamlDotNet's scanner fails this way on some malformed files (found by fuzzing); the last event read says where.
            var (line, column) = parser.Position is { } last ? (last.Line, last.Column) : (1, 1);
            throw new WorkbenchInputException($"Suite file '{path}', line {line}, column {column}: this is not valid YAML after this point.", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new WorkbenchInputException($"Suite file '{path}' must be a YAML mapping with 'name' and 'experiments'.");

        var at = new Locator(path);
        at.CheckKeys(root, SuiteKeys, "suite");
        var name = at.RequiredName(root, "name");
        var seed = at.OptionalInt(root, "seed") ?? 42;
        var device = at.OptionalEnum(root, "device", TaskNames.ParseDevice, ["auto", "cpu", "cuda"]) ?? ComputeDevice.Auto;
        var precision = at.OptionalEnum(root, "precision", TaskNames.ParsePrecision, TaskNames.Precisions) ?? TrainingPrecision.Auto;
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var output = at.OptionalString(root, "output") is { } o ? Path.GetFullPath(Path.Combine(folder, o)) : Path.GetFullPath(Path.Combine("reports", name));
        var encoding = at.OptionalEncoding(root, "encoding");

        if (!root.Children.TryGetValue(new YamlScalarNode("experiments"), out var list))
            throw at.Error(root, "the suite needs an 'experiments' list");
        if (list is not YamlSequenceNode experiments || experiments.Children.Count == 0)
            throw at.Error(list, "'experiments' must be a non-empty list");

        var specs = new List<ExperimentSpec>();
        foreach (var node in experiments.Children)
        {
            if (node is not YamlMappingNode e) throw at.Error(node, "each experiment must be a mapping");
            at.CheckKeys(e, ExperimentKeys, "experiment");
            var experimentName = at.RequiredName(e, "name");
            if (specs.Any(s => s.Name == experimentName)) throw at.Error(e, $"experiment name '{experimentName}' is used twice");
            var task = at.RequiredEnum<TaskKind>(e, "task", TaskFamilies.Parse, TaskFamilies.Names);
            var data = Path.GetFullPath(Path.Combine(folder, at.RequiredString(e, "data")));
            string? OptionalPath(string key) => at.OptionalString(e, key) is { } p ? Path.GetFullPath(Path.Combine(folder, p)) : null;
            var label = TaskFamilies.NeedsLabel(task) ? at.RequiredString(e, "label")
                : task == TaskKind.SentenceSimilarity ? at.Unwanted(e, "label", "sentence-pair files hold their score column, so 'label' does not apply") ?? ""
                : at.OptionalString(e, "label") ?? "";
            var textColumn = TaskFamilies.NeedsText(task) ? at.RequiredString(e, "text") : at.Unwanted(e, "text", $"'text' names the text column of text-classification, not of task {task.ToName()}");
            if (!TaskFamilies.AcceptsTestFile(task))
                at.Unwanted(e, "test", $"a separate 'test' file is not supported for task {task.ToName()}; use 'split' (or mlwb automl --test)");
            if (!TaskFamilies.AcceptsValidationFile(task))
                at.Unwanted(e, "validation", $"a separate 'validation' file is only for sentence-similarity; task {task.ToName()} uses 'split'");
            var (validation, test) = ReadSplit(at, e);
            var (candidates, settings) = ReadCandidates(at, e, task);
            var modelPath = Path.Combine(output, SafeFileName(experimentName) + ".mlwb");
            var experimentSeed = at.OptionalInt(e, "seed") ?? seed;
            specs.Add(new ExperimentSpec
            {
                Name = experimentName, Task = task, DataPath = data, Label = label, Candidates = candidates, CandidateSettings = settings, ModelPath = modelPath,
                TestPath = OptionalPath("test"), ValidationPath = OptionalPath("validation"), TextColumn = textColumn,
                Encoding = at.OptionalEncoding(e, "encoding") ?? encoding,
                ValidationFraction = validation, TestFraction = test, Seed = experimentSeed, Device = device, Precision = precision,
                AutoML = ReadAutoML(at, e, task, label, candidates, experimentSeed, device, precision, Path.Combine(output, "studies.db"), experimentName, modelPath),
            });
        }
        return new Suite(name, Path.GetFullPath(path), sha, seed, device, precision, output, specs);
    }

    private static AutoMLOptions? ReadAutoML(Locator at, YamlMappingNode experiment, TaskKind task, string label, IReadOnlyList<string> trainers,
        int seed, ComputeDevice device, TrainingPrecision precision, string studyPath, string studyName, string modelPath)
    {
        if (!experiment.Children.TryGetValue(new YamlScalarNode("automl"), out var node)) return null;
        if (node is not YamlMappingNode map) throw at.Error(node, "'automl' must be a mapping like { budget: 60, tuner: cfo, folds: 5 }");
        at.CheckKeys(map, AutoMLKeys, "automl");
        if (!task.IsTabular())
            foreach (var key in new[] { "folds", "pruner", "parallel", "rowRungMinRows" })
                at.Unwanted(map, key, $"'{key}' is for tabular searches; a {task.ToName()} search ranks trials on one validation split, one trial at a time");
        if (trainers.Count > 0 && experiment.Children.TryGetValue(new YamlScalarNode("candidates"), out var listed) && listed is YamlSequenceNode sequence)
            foreach (var item in sequence.Children.OfType<YamlMappingNode>())
                throw at.Error(item, "candidate settings are for comparisons; an 'automl' search chooses the settings itself");
        var tuner = at.OptionalChoice(map, "tuner", Samplers.Names) ?? AutoMLOptions.DefaultTuner;
        var pruner = at.OptionalChoice(map, "pruner", ["median", "none"]) ?? "median";
        var budget = at.OptionalPositive(map, "budget");
        var trials = at.OptionalInt(map, "trials");
        if (trials is < 1) throw at.Error(map, "'trials' must be at least 1");
        if (budget is null && trials is null) budget = 60;
        var minRows = at.OptionalInt(map, "rowRungMinRows");
        if (minRows is < 1) throw at.Error(map, "'rowRungMinRows' must be at least 1");
        return new AutoMLOptions
        {
            RowRungMinRows = minRows ?? AutoMLOptions.DefaultRowRungMinRows,
            Task = task, Label = label, Tuner = tuner, Pruner = pruner, BudgetSeconds = budget, MaxTrials = trials,
            Folds = at.OptionalInt(map, "folds") is { } f and >= 1 and <= 20 ? f : map.Children.ContainsKey(new YamlScalarNode("folds")) ? throw at.Error(map, "'folds' must be between 1 and 20") : null,
            Parallel = at.OptionalInt(map, "parallel") is { } p and >= 1 and <= 64 ? p : map.Children.ContainsKey(new YamlScalarNode("parallel")) ? throw at.Error(map, "'parallel' must be between 1 and 64") : 1,
            Seed = seed, Device = device, Precision = precision, Trainers = trainers, StudyPath = studyPath, StudyName = studyName, ModelPath = modelPath,
        };
    }

    private static (double Validation, double Test) ReadSplit(Locator at, YamlMappingNode experiment)
    {
        if (!experiment.Children.TryGetValue(new YamlScalarNode("split"), out var node)) return (0.2, 0.2);
        if (node is not YamlMappingNode split) throw at.Error(node, "'split' must be a mapping like { validation: 0.2, test: 0.2 }");
        at.CheckKeys(split, SplitKeys, "split");
        var validation = at.OptionalFraction(split, "validation") ?? 0.2;
        var test = at.OptionalFraction(split, "test") ?? 0.2;
        if (validation + test >= 0.9) throw at.Error(split, $"validation ({validation}) and test ({test}) leave too little for training");
        return (validation, test);
    }

    private static (IReadOnlyList<string> Names, IReadOnlyDictionary<string, IReadOnlyDictionary<string, object>> Settings) ReadCandidates(
        Locator at, YamlMappingNode experiment, TaskKind task)
    {
        var settings = new Dictionary<string, IReadOnlyDictionary<string, object>>();
        if (!experiment.Children.TryGetValue(new YamlScalarNode("candidates"), out var node)) return ([], settings);
        if (node is YamlScalarNode { Value: "auto" or "all" }) return ([], settings);
        if (node is not YamlSequenceNode list || list.Children.Count == 0)
            throw at.Error(node, "'candidates' must be 'auto' or a non-empty list of candidate names");
        var names = new List<string>();
        foreach (var item in list.Children)
        {
            // A candidate is a name, or a one-key mapping from its name to its settings: - cnn: { maxEpochs: 5, width: 8 }
            var (nameNode, settingsNode) = item switch
            {
                YamlScalarNode scalar => (scalar, null),
                YamlMappingNode { Children.Count: 1 } one when one.Children.First().Key is YamlScalarNode key => (key, one.Children.First().Value),
                _ => throw at.Error(item, "a candidate must be a name, or a name with settings like '- cnn: { maxEpochs: 5 }'"),
            };
            var name = nameNode.Value ?? "";
            if (!TaskFamilies.CandidateNames(task).Contains(name))
                throw at.Error(nameNode, $"unknown candidate '{MessageText.Clip(name)}' for task {task.ToName()}; known candidates: {string.Join(", ", TaskFamilies.CandidateNames(task))}");
            if (names.Contains(name)) throw at.Error(nameNode, $"candidate '{name}' is listed twice");
            names.Add(name);
            if (settingsNode is not null) settings[name] = ReadSettings(at, settingsNode, task, name);
        }
        return (names, settings);
    }

    /// <summary>A candidate's settings: parameters of its search space, each value of the parameter's type.</summary>
    private static Dictionary<string, object> ReadSettings(Locator at, YamlNode node, TaskKind task, string candidate)
    {
        if (node is not YamlMappingNode map) throw at.Error(node, $"the settings of '{candidate}' must be a mapping like {{ maxEpochs: 5 }}");
        var space = TaskFamilies.SpaceOf(task, candidate);
        if (space is null || space.Parameters.Count == 0) throw at.Error(node, $"candidate '{candidate}' has no settings to change");
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            var domain = space.Parameters.FirstOrDefault(p => p.Name == key)
                         ?? throw at.Error(keyNode, $"'{MessageText.Clip(key)}' is not a setting of '{candidate}'; its settings: {string.Join(", ", space.Parameters.Select(p => p.Name))}");
            var text = (valueNode as YamlScalarNode)?.Value ?? throw at.Error(valueNode, $"'{key}' must be a single value");
            values[domain.Name] = domain switch
            {
                IntDomain when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i > 0 => i,
                IntDomain => throw at.Error(valueNode, $"'{key}' must be a positive whole number, not '{MessageText.Clip(text)}'"),
                FloatDomain when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && d >= 0 => d,
                FloatDomain => throw at.Error(valueNode, $"'{key}' must be a non-negative number, not '{MessageText.Clip(text)}'"),
                ChoiceDomain c when c.Choices.Contains(text) => text,
                ChoiceDomain c => throw at.Error(valueNode, $"'{key}' must be one of {string.Join(", ", c.Choices)}, not '{MessageText.Clip(text)}'"),
                _ => throw at.Error(valueNode, $"'{key}' cannot be set"),
            };
        }
        return values;
    }

    /// <summary>An experiment name made safe as a file name (its model file is named after it).</summary>
    private static string SafeFileName(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        return new string(name.Select(c => invalid.Contains(c) || char.IsWhiteSpace(c) ? '-' : c).ToArray());
    }

    private static string FirstSentence(string message)
    {
        var text = message.ReplaceLineEndings(" ");
        var paren = text.IndexOf("): ", StringComparison.Ordinal);
        if (text.StartsWith('(') && paren > 0) text = text[(paren + 3)..];
        return text.TrimEnd('.') + ".";
    }

    /// <summary>Reads typed values from nodes and turns problems into messages with file, line and column.</summary>
    private sealed class Locator(string path)
    {
        public WorkbenchInputException Error(YamlNode node, string problem) =>
            new($"Suite file '{path}', line {node.Start.Line}, column {node.Start.Column}: {problem}.");

        public void CheckKeys(YamlMappingNode map, string[] known, string what)
        {
            foreach (var key in map.Children.Keys)
                if (key is not YamlScalarNode { Value: { } k } || !known.Contains(k))
                    throw Error(key, $"unknown {what} key '{MessageText.Clip((key as YamlScalarNode)?.Value)}'; expected one of: {string.Join(", ", known)}");
        }

        private YamlScalarNode? Scalar(YamlMappingNode map, string key)
        {
            if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node)) return null;
            return node as YamlScalarNode ?? throw Error(node, $"'{key}' must be a single value");
        }

        public string? OptionalString(YamlMappingNode map, string key) =>
            Scalar(map, key) is { } s ? (string.IsNullOrWhiteSpace(s.Value) ? throw Error(s, $"'{key}' is empty") : s.Value) : null;

        /// <summary>Null when <paramref name="key"/> is absent; an error at the key when it is there.</summary>
        public string? Unwanted(YamlMappingNode map, string key, string problem)
        {
            foreach (var k in map.Children.Keys)
                if (k is YamlScalarNode { Value: { } name } && name == key) throw Error(k, problem);
            return null;
        }

        public string RequiredString(YamlMappingNode map, string key) =>
            OptionalString(map, key) ?? throw Error(map, $"'{key}' is required");

        public string RequiredName(YamlMappingNode map, string key)
        {
            var value = RequiredString(map, key);
            return NamePattern().IsMatch(value) ? value
                : throw Error(Scalar(map, key)!, $"'{key}' value '{MessageText.Clip(value)}' may use only letters, digits, '.', '_' and '-'");
        }

        public System.Text.Encoding? OptionalEncoding(YamlMappingNode map, string key)
        {
            if (OptionalString(map, key) is not { } name) return null;
            try
            {
                return DataFileText.ParseEncoding(name);
            }
            catch (WorkbenchInputException)
            {
                throw Error(Scalar(map, key)!, $"'{key}' must name an encoding such as {DataFileText.EncodingExamples}, not '{MessageText.Clip(name)}'");
            }
        }

        public int? OptionalInt(YamlMappingNode map, string key)
        {
            if (Scalar(map, key) is not { } s) return null;
            return int.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
                : throw Error(s, $"'{key}' must be a whole number, not '{MessageText.Clip(s.Value)}'");
        }

        public string? OptionalChoice(YamlMappingNode map, string key, IReadOnlyList<string> allowed)
        {
            if (Scalar(map, key) is not { } s) return null;
            return allowed.Contains(s.Value) ? s.Value : throw Error(s, $"'{key}' must be one of {string.Join(", ", allowed)}, not '{MessageText.Clip(s.Value)}'");
        }

        public double? OptionalPositive(YamlMappingNode map, string key)
        {
            if (Scalar(map, key) is not { } s) return null;
            return double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v) ? v
                : throw Error(s, $"'{key}' must be a positive number, not '{MessageText.Clip(s.Value)}'");
        }

        public double? OptionalFraction(YamlMappingNode map, string key)
        {
            if (Scalar(map, key) is not { } s) return null;
            return double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && v < 1 ? v
                : throw Error(s, $"'{key}' must be a number between 0 and 1, not '{MessageText.Clip(s.Value)}'");
        }

        public T? OptionalEnum<T>(YamlMappingNode map, string key, Func<string, T?> parse, IEnumerable<string> allowed) where T : struct
        {
            if (Scalar(map, key) is not { } s) return null;
            return parse(s.Value ?? "") ?? throw Error(s, $"'{key}' must be one of {string.Join(", ", allowed)}, not '{MessageText.Clip(s.Value)}'");
        }

        public T RequiredEnum<T>(YamlMappingNode map, string key, Func<string, T?> parse, IEnumerable<string> allowed) where T : struct =>
            OptionalEnum(map, key, parse, allowed) ?? throw Error(map, $"'{key}' is required");
    }
}
