using MLWorkbench.Models.Torch;
using MLWorkbench.Similarity;
using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.Similarity;

public sealed class SentencePairFileTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mlwb-similarity-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private string Write(string text, string extension = ".csv") => SimilarityTestData.Write(_folder, text, extension);

    private const string StsLines =
        "main-captions\tMSRvid\t2012test\t0001\t5.000\tA plane is taking off.\tAn air plane is taking off.\n" +
        "main-forum\tdeft-forum\t2014\t0002\t1.200\tHe said \"no\" twice.\tShe said \"yes\t\n" +
        "main-forums\tanswers-forums\t2015\t0003\t0.000\tFirst, \"quoted\" text\tSecond text\tlicence note\tmore\n";

    [Fact]
    public void Sts_benchmark_lines_are_read_with_quotes_literal_and_trailing_fields_ignored()
    {
        var file = SentencePairFile.Load(Write(StsLines));
        Assert.Equal(SentencePairFormat.StsBenchmark, file.Format);
        Assert.True(file.RangeStated);
        Assert.Equal(ScoreRange.StsBenchmark, file.Pairs.Range);
        Assert.Equal(3, file.Pairs.Rows);
        Assert.Equal([5f, 1.2f, 0f], file.Pairs.Labels);
        Assert.Equal("He said \"no\" twice.", file.Pairs.First[1]);
        Assert.Equal("She said \"yes", file.Pairs.Second[1]);
        Assert.Equal("First, \"quoted\" text", file.Pairs.First[2]);
        Assert.Equal("Second text", file.Pairs.Second[2]);
        Assert.Equal([1, 2, 3], file.Pairs.Lines);
    }

    [Fact]
    public void The_bundled_sts_benchmark_files_load_completely()
    {
        // datasets/stsb-open: the images genre (1000/250/250) and SNLI captions (dev and test, 125 each).
        Assert.Equal(1000, SentencePairFile.Load(SimilarityTestData.StsPath("train")).Pairs.Rows);
        Assert.Equal(375, SentencePairFile.Load(SimilarityTestData.StsPath("dev")).Pairs.Rows);
        Assert.Equal(375, SentencePairFile.Load(SimilarityTestData.StsPath("test")).Pairs.Rows);
    }

    [Fact]
    public void Csv_with_quoting_custom_columns_empty_identical_and_non_english_sentences_loads_with_an_inferred_range()
    {
        var path = Write(
            "id,left,right,similarity\n" +
            "1,\"Hello, world\",\"Hello, world\",4\n" +
            "2,,Something,0.5\n" +
            "3,Der Hund läuft.,Le chien court.,3\n" +
            "4,猫が寝ている。,Кошка спит.,2\n");
        var file = SentencePairFile.Load(path, new SentencePairLoadOptions { Sentence1Column = "left", Sentence2Column = "right", ScoreColumn = "similarity" });
        Assert.Equal(SentencePairFormat.Delimited, file.Format);
        Assert.False(file.RangeStated);
        Assert.Equal(new ScoreRange(0.5, 4), file.Pairs.Range);
        Assert.Equal("Hello, world", file.Pairs.First[0]);
        Assert.Equal("", file.Pairs.First[1]);
        Assert.Equal("猫が寝ている。", file.Pairs.First[3]);
        Assert.Equal([2, 3, 4, 5], file.Pairs.Lines);
    }

    [Fact]
    public void Tsv_takes_quotes_literally()
    {
        var file = SentencePairFile.Load(Write("sentence1\tsentence2\tscore\nA \"big\" dog\tA dog\t3\n\"Odd\tOne\t1\n", ".tsv"));
        Assert.Equal("A \"big\" dog", file.Pairs.First[0]);
        Assert.Equal("\"Odd", file.Pairs.First[1]);
    }

    [Theory]
    [InlineData("sentence1,sentence2\na,b\n", "no column 'score'")]
    [InlineData("sentence1,sentence2,score\na,b,1\nc,d,7\n", "line 3, column 'score': score 7 is outside the stated range [0, 5]")]
    [InlineData("sentence1,sentence2,score\na,b,high\n", "line 2, column 'score': score 'high' is not a number")]
    [InlineData("sentence1,sentence2,score\na,b,\n", "line 2, column 'score': the score is empty")]
    [InlineData("sentence1,sentence2,score\na,b\n", "line 2: expected 3 fields")]
    [InlineData("sentence1,sentence2,score\n", "has no sentence pairs")]
    public void Bad_delimited_input_is_one_clear_error(string text, string expected)
    {
        var path = Write(text);
        var error = Assert.Throws<WorkbenchInputException>(() => SentencePairFile.Load(path, new SentencePairLoadOptions { Range = new ScoreRange(0, 5) }));
        Assert.Contains(expected, error.Message);
        Assert.Contains(path, error.Message);
    }

    [Theory]
    [InlineData("g\tf\t2012\t1\t5.5\ta\tb\n", "line 1, column 5 (score): score 5.5 is outside the stated range [0, 5]")]
    [InlineData("g\tf\t2012\t1\t3\ta\tb\ng\tf\t2012\t2\t3\ta\n", "line 2: expected at least 7 tab-separated fields")]
    public void Bad_sts_input_names_the_line(string text, string expected)
    {
        var error = Assert.Throws<WorkbenchInputException>(() => SentencePairFile.Load(Write(text)));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_missing_file_and_an_unknown_candidate_are_input_errors()
    {
        Assert.Throws<WorkbenchInputException>(() => SentencePairFile.Load("/nonexistent/pairs.csv"));
        var path = Write(StsLines);
        var error = Assert.Throws<WorkbenchInputException>(() => SimilarityExperiment.Prepare("x", path, path, path, 0.1, 0.1, 1, ComputeDevice.Cpu, ["bert-large"]));
        Assert.Contains("bert-large", error.Message);
    }

    [Fact]
    public void Prepare_splits_by_seed_and_checks_other_files_against_the_stated_range()
    {
        var lines = string.Concat(Enumerable.Range(0, 40).Select(i => $"g\tf\t2012\t{i}\t{i % 6}\tsentence {i}\tother {i}\n"));
        var path = Write(lines);
        var a = SimilarityExperiment.Prepare("x", path, null, null, 0.2, 0.25, 7, ComputeDevice.Cpu, ["lexical-fasttree"]);
        var b = SimilarityExperiment.Prepare("x", path, null, null, 0.2, 0.25, 7, ComputeDevice.Cpu, ["lexical-fasttree"]);
        Assert.Equal((22, 8, 10), (a.Train.Rows, a.Validation.Rows, a.Test.Rows));
        Assert.Equal(a.Test.First, b.Test.First);
        Assert.Empty(a.Train.First.Intersect(a.Test.First));
        Assert.Equal(1, a.CandidateCount);

        var outside = Write("sentence1,sentence2,score\na,b,9\nc,d,1\n");
        var error = Assert.Throws<WorkbenchInputException>(() => SimilarityExperiment.Prepare("x", path, outside, null, 0.2, 0.25, 7, ComputeDevice.Cpu, Array.Empty<string>()));
        Assert.Contains("line 2", error.Message);
    }

    [Fact]
    public void Nasbert_is_skipped_with_the_resource_folder_named()
    {
        var candidate = SimilarityCandidates.Create("nasbert-similarity");
        var reason = Assert.IsType<string>(candidate.SkipReason);
        Assert.Contains("NasBert2000000.tsm", reason);
        Assert.Contains(NasBertSimilarityCandidate.ResourceFolder, reason);
        Assert.Equal(SimilarityCandidates.Names.Count, SimilarityCandidates.Names.Select(SimilarityCandidates.Create).Select(c => c.Name).Distinct().Count());
    }
}
