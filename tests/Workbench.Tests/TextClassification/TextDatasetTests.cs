using System.Text;
using MLWorkbench.Models.Torch;
using MLWorkbench.TextClassification;
using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.TextClassification;

public sealed class TextDatasetTests(TextTestData data) : IClassFixture<TextTestData>
{
    [Fact]
    public void LoadsTheIntentsSet()
    {
        var set = TextDataset.Load(data.Intents, "text", "intent");
        Assert.True(set.Examples.Rows >= 400);
        Assert.Equal(10, set.Examples.ClassNames.Count);
        Assert.Equal(3, set.Columns);
        Assert.Contains(set.Examples.Texts, t => t == "现在几点了？");
        Assert.All(set.Examples.ClassNames, c => Assert.True(set.Examples.Labels.Count(l => set.Examples.ClassNames[(int)l] == c) >= 40));
    }

    [Fact]
    public void KeepsEmptyTextsAndTruncatesLongOnes()
    {
        var longText = new string('a', 1_000_000);
        var path = data.Write("odd.csv", ["text,label", "hello there,a", "\"   \",b", $"{longText},a", "bye,b", "\"quoted, with comma\",a", "again,b"]);
        var set = TextDataset.Load(path, "text", "label", new TextLoadOptions { MaxCharacters = 1000 });
        Assert.Equal(6, set.Examples.Rows);
        Assert.Equal(1, set.EmptyTexts);
        Assert.Equal(1, set.TruncatedTexts);
        Assert.Equal("", set.Examples.Texts[1]);
        Assert.Equal(1000, set.Examples.Texts[2].Length);
        Assert.Equal("quoted, with comma", set.Examples.Texts[4]);
        var prepared = TextExperiment.Prepare("odd", path, path, "text", "label", 0.3, 0, 1, ComputeDevice.Cpu, ["ngram-sdca"]);
        Assert.Contains("truncated texts", prepared.DatasetInfo.Dropped.Keys);
        Assert.Contains("empty texts", prepared.DatasetInfo.Dropped.Keys);
    }

    [Fact]
    public void InvalidUtf8NamesTheLine()
    {
        var bytes = Encoding.UTF8.GetBytes("text,label\nfine,a\nalso fine,b\n").Concat(new byte[] { (byte)'b', 0xC3, 0x28, (byte)',', (byte)'a', (byte)'\n' }).ToArray();
        var e = Assert.Throws<WorkbenchInputException>(() => TextDataset.Load(data.WriteBytes("bad.csv", bytes), "text", "label"));
        Assert.Contains("line 4", e.Message);
        Assert.Contains("UTF-8", e.Message);
    }

    [Fact]
    public void BadInputsAreOneClearSentence()
    {
        var path = data.Write("plain.csv", ["text,label", "a,x", "b,y", ",", "c,x"]);
        var empty = Assert.Throws<WorkbenchInputException>(() => TextDataset.Load(path, "text", "label"));
        Assert.Contains("line 4", empty.Message);
        Assert.Contains("label is empty", empty.Message);
        var missing = Assert.Throws<WorkbenchInputException>(() => TextDataset.Load(data.Intents, "sentence", "intent"));
        Assert.Contains("'sentence'", missing.Message);
        var oneClass = data.Write("one.csv", ["text,label", "a,x", "b,x"]);
        Assert.Contains("two classes", Assert.Throws<WorkbenchInputException>(() => TextDataset.Load(oneClass, "text", "label")).Message);
        Assert.Contains("does not exist", Assert.Throws<WorkbenchInputException>(() => TextDataset.Load("/nowhere/x.csv", "text", "label")).Message);
        Assert.Contains("Unknown text candidate", Assert.Throws<WorkbenchInputException>(() => TextCandidates.Create("bert-large")).Message);
    }

    [Fact]
    public void ALabelSeenOnceIsAnErrorForTheStratifiedSplit()
    {
        var rows = new List<string> { "text,label" };
        rows.AddRange(Enumerable.Range(0, 10).Select(i => $"text {i},common"));
        rows.Add("lonely text,rare");
        var path = data.Write("once.csv", rows);
        var e = Assert.Throws<WorkbenchInputException>(() =>
            TextExperiment.Prepare("once", path, null, "text", "label", 0.2, 0.2, 1, ComputeDevice.Cpu, ["ngram-sdca"]));
        Assert.Contains("line 12", e.Message);
        Assert.Contains("'rare' occurs only once", e.Message);
    }

    [Fact]
    public void TestFileLabelsMustBeTrainingClasses()
    {
        var test = data.Write("test-new-class.csv", ["text,intent", "hello,greeting", "what is this,unknown_intent"]);
        var e = Assert.Throws<WorkbenchInputException>(() =>
            TextExperiment.Prepare("t", data.Intents, test, "text", "intent", 0.2, 0, 1, ComputeDevice.Cpu, ["ngram-sdca"]));
        Assert.Contains("line 3", e.Message);
        Assert.Contains("unknown_intent", e.Message);
    }

    [Fact]
    public void SplitIsStratifiedAndSeeded()
    {
        var a = TextExperiment.Prepare("a", data.Intents, null, "text", "intent", 0.2, 0.2, 7, ComputeDevice.Cpu, ["ngram-sdca"]);
        var b = TextExperiment.Prepare("b", data.Intents, null, "text", "intent", 0.2, 0.2, 7, ComputeDevice.Cpu, ["ngram-sdca"]);
        Assert.Equal(a.Test.Texts, b.Test.Texts);
        Assert.Equal(a.Train.Rows + a.Validation.Rows + a.Test.Rows, TextDataset.Load(data.Intents, "text", "intent").Examples.Rows);
        Assert.All(Enumerable.Range(0, 10), k => Assert.Contains((float)k, a.Test.Labels));
        Assert.Equal(1, a.CandidateCount);
    }
}
