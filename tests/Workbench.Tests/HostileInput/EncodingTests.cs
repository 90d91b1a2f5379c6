using System.Text;
using MLWorkbench.Data;
using MLWorkbench.Images;
using MLWorkbench.Similarity;
using MLWorkbench.Tests.Bundles;
using MLWorkbench.TextClassification;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.HostileInput;

/// <summary>Every data file goes through <see cref="DataFileText"/>: UTF-8 by default and checked, any other encoding on request.</summary>
public class EncodingTests
{

    private static string WriteBytes(TempFolder dir, string name, byte[] bytes)
    {
        var path = Path.Combine(dir.Path, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string CitiesText(int rows = 30) =>
        "city,x,y\n" + string.Concat(Enumerable.Range(0, rows).Select(i => $"{(i % 2 == 0 ? "São Paulo" : "Lima")},{i},{i * 2}\n"));

    [Fact]
    public void A_named_encoding_reads_the_file_as_written()
    {
        using var dir = new TempFolder();
        var path = WriteBytes(dir, "latin1.csv", Encoding.Latin1.GetBytes(CitiesText()));
        var data = TabularData.LoadCsv(path, DataFileText.ParseEncoding("latin1"));
        Assert.Equal("São Paulo", data.Rows[0][0]);
        Assert.Equal(TabularData.LoadCsv(path, DataFileText.ParseEncoding("ISO-8859-1")).Rows[0][0], data.Rows[0][0]);

        // 0x80 is the euro sign in windows-1252, a code page .NET knows only through CodePagesEncodingProvider.
        var euro = WriteBytes(dir, "cp1252.csv", [.. "price,y\n"u8, 0x80, .. "5,1\n"u8]);
        Assert.Equal("€5", TabularData.LoadCsv(euro, DataFileText.ParseEncoding("windows-1252")).Rows[0][0]);
        Assert.Equal(1252, DataFileText.ParseEncoding("cp1252").CodePage);
        Assert.Equal(932, DataFileText.ParseEncoding("shift_jis").CodePage);
        Assert.Equal(1200, DataFileText.ParseEncoding("utf-16").CodePage);
    }

    [Fact]
    public void A_byte_the_named_encoding_does_not_define_is_refused_too()
    {
        using var dir = new TempFolder();
        // ASCII has no 0xE3: decoding must not silently replace it with '?'.
        var path = WriteBytes(dir, "odd.csv", [.. "a,y\n1,2\n"u8, 0xE3, .. ",3\n"u8]);
        var e = Assert.Throws<WorkbenchInputException>(() => TabularData.LoadCsv(path, DataFileText.ParseEncoding("ascii")));
        Assert.Equal($"Data file '{path}', line 3: byte 0xE3 at offset 8 is not valid us-ascii; name the file's real encoding with --encoding ('encoding:' in a suite), or save it as UTF-8.", e.Message);
    }

    [Fact]
    public void Byte_order_marks_are_honoured()
    {
        using var dir = new TempFolder();
        var utf8 = WriteBytes(dir, "bom8.csv", [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(CitiesText(2))]);
        Assert.Equal(["city", "x", "y"], TabularData.LoadCsv(utf8).ColumnNames);
        var utf16 = WriteBytes(dir, "bom16.csv", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(CitiesText(2))]);
        Assert.Equal("São Paulo", TabularData.LoadCsv(utf16).Rows[0][0]);
        // A UTF-8 mark wins over a named encoding: the file says what it is.
        Assert.Equal("São Paulo", TabularData.LoadCsv(utf8, Encoding.Latin1).Rows[0][0]);
    }

    [Fact]
    public void An_unknown_encoding_name_is_one_sentence()
    {
        var e = Assert.Throws<WorkbenchInputException>(() => DataFileText.ParseEncoding("klingon"));
        Assert.Equal($"Unknown encoding 'klingon'; use a name such as {DataFileText.EncodingExamples}.", e.Message);
    }

    [Fact]
    public void Text_pair_and_image_list_files_use_the_same_decoder()
    {
        using var dir = new TempFolder();
        var texts = WriteBytes(dir, "texts.csv", Encoding.Latin1.GetBytes("text,label\nolá,a\nadeus,b\nsim,a\nnão,b\n"));
        var e = Assert.Throws<WorkbenchInputException>(() => TextDataset.Load(texts, "text", "label"));
        Assert.StartsWith($"Text data file '{texts}', line 2: byte 0xE1 at offset 13 is not valid UTF-8;", e.Message);
        Assert.Equal("olá", TextDataset.Load(texts, "text", "label", new TextLoadOptions { Encoding = Encoding.Latin1 }).Examples.Texts[0]);

        var pairs = WriteBytes(dir, "pairs.csv", Encoding.Latin1.GetBytes("sentence1,sentence2,score\nSão Paulo,Lima,1\nolá,oi,4\n"));
        e = Assert.Throws<WorkbenchInputException>(() => SentencePairFile.Load(pairs));
        Assert.StartsWith($"Sentence-pair file '{pairs}', line 2: byte 0xE3 at offset 27 is not valid UTF-8;", e.Message);
        Assert.Equal("São Paulo", SentencePairFile.Load(pairs, new SentencePairLoadOptions { Encoding = Encoding.Latin1 }).Pairs.First[0]);

        SyntheticShapes.Write(Path.Combine(dir.Path, "img"), 3, 2, 16);
        var lines = new List<string> { "path,label" };
        foreach (var shape in SyntheticShapes.Classes)
            lines.AddRange(Directory.GetFiles(Path.Combine(dir.Path, "img", shape)).Select(f => $"{Path.GetRelativePath(dir.Path, f)},{shape}ã"));
        var list = WriteBytes(dir, "list.csv", Encoding.Latin1.GetBytes(string.Join('\n', lines) + "\n"));
        e = Assert.Throws<WorkbenchInputException>(() => ImageDataset.Load(list));
        Assert.StartsWith($"Image list '{list}', line 2: byte 0xE3 at offset ", e.Message);
        Assert.All(ImageDataset.Load(list, new ImageLoadOptions { Encoding = Encoding.Latin1 }).Examples.ClassNames, c => Assert.EndsWith("ã", c));
    }

    [Fact]
    public async Task Automl_and_suites_take_the_encoding_and_refuse_without_it()
    {
        using var dir = new TempFolder();
        var path = WriteBytes(dir, "cities.csv", Encoding.Latin1.GetBytes(CitiesText()));
        var (code, _, error) = await MlwbCommand.RunAsync("automl", "--task", "regression", "--train", path, "--label", "y", "--trials", "1", "--out", Path.Combine(dir.Path, "o"));
        Assert.Equal(2, code);
        Assert.Contains("line 2: byte 0xE3 at offset 10 is not valid UTF-8", error);
        // With the encoding the file is read, and the next problem (a wrong label) is the one reported.
        (code, _, error) = await MlwbCommand.RunAsync("automl", "--task", "regression", "--train", path, "--label", "price", "--encoding", "latin1", "--trials", "1",
            "--out", Path.Combine(dir.Path, "o"));
        Assert.Equal(2, code);
        Assert.Equal($"Column 'price' does not exist in '{path}'; its columns are: city, x, y.", error.Trim());
        (code, _, error) = await MlwbCommand.RunAsync("automl", "--task", "regression", "--train", path, "--label", "y", "--encoding", "klingon");
        Assert.Equal(2, code);
        Assert.StartsWith("Unknown encoding 'klingon'", error);

        string Suite(string encoding) => dir.File("suite.yaml", $"""
            name: cities
            {encoding}
            experiments:
              - name: c
                task: regression
                data: cities.csv
                label: y
                candidates: [sdca]
            """);
        (code, _, error) = await MlwbCommand.RunAsync("run", Suite(""), "--dry-run");
        Assert.Equal(2, code);
        Assert.Contains("is not valid UTF-8", error);
        var (ok, output, _) = await MlwbCommand.RunAsync("run", Suite("encoding: latin1"), "--dry-run");
        Assert.Equal(0, ok);
        Assert.Contains("is valid", output);
        (code, _, error) = await MlwbCommand.RunAsync("run", Suite("encoding: klingon"), "--dry-run");
        Assert.Equal(2, code);
        Assert.Contains("line 2, column 11: 'encoding' must name an encoding such as", error);
    }

    [Fact]
    public async Task Predict_takes_the_encoding()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var input = WriteBytes(dir, "in.csv", Encoding.Latin1.GetBytes("x1,x2,x3,colour\n0.1,0.2,0.3,vermelhão\n"));
        var (code, _, error) = await MlwbCommand.RunAsync("predict", saved.Path, input);
        Assert.Equal(2, code);
        Assert.Contains("is not valid UTF-8", error);
        (code, var output, error) = await MlwbCommand.RunAsync("predict", saved.Path, input, "--encoding", "latin1");
        Assert.True(code == 0, error);
        Assert.Contains("vermelhão", output);
    }

    [Fact]
    public async Task List_datasets_shows_an_unreadable_file_beside_the_others()
    {
        using var dir = new TempFolder();
        dir.File("good.csv", "a,y\n1,2\n");
        WriteBytes(dir, "latin1.csv", Encoding.Latin1.GetBytes(CitiesText(2)));
        var (code, output, error) = await MlwbCommand.RunAsync("list", "datasets", dir.Path);
        Assert.True(code == 0, error);
        Assert.Contains("good.csv", output);
        Assert.Contains("latin1.csv", output);
        Assert.Contains("0xE3", output);
    }

    [Fact]
    public async Task Text_and_pair_searches_and_suites_take_the_encoding()
    {
        using var dir = new TempFolder();
        var texts = WriteBytes(dir, "texts.csv", Encoding.Latin1.GetBytes("text,label\n" +
            string.Concat(Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? $"olá número {i},a\n" : $"adeus {i},b\n"))));
        var (code, _, error) = await MlwbCommand.RunAsync("automl", "--task", "text-classification", "--train", texts, "--label", "label", "--trials", "1");
        Assert.Equal(2, code);
        Assert.Contains("is not valid UTF-8", error);
        // Read with the encoding, the next problem is the one reported: the text column does not exist.
        (code, _, error) = await MlwbCommand.RunAsync("automl", "--task", "text-classification", "--train", texts, "--label", "label", "--text", "body",
            "--encoding", "latin1", "--trials", "1");
        Assert.Equal(2, code);
        Assert.Contains("has no column 'body' for the text", error);

        var pairs = WriteBytes(dir, "pairs.csv", Encoding.Latin1.GetBytes("sentence1,sentence2,score\n" +
            string.Concat(Enumerable.Range(0, 20).Select(i => $"São Paulo {i},Lima {i},{i % 5}\n"))));
        (code, _, error) = await MlwbCommand.RunAsync("automl", "--task", "sentence-similarity", "--train", pairs, "--trials", "1", "--trainers", "nonexistent");
        Assert.Equal(2, code);
        Assert.Contains("is not valid UTF-8", error);
        (code, _, error) = await MlwbCommand.RunAsync("automl", "--task", "sentence-similarity", "--train", pairs, "--trials", "1", "--trainers", "nonexistent",
            "--encoding", "latin1");
        Assert.Equal(2, code);
        Assert.Contains("'nonexistent'", error);

        // An experiment's own encoding overrides the suite's.
        var suite = dir.File("texts.yaml", """
            name: texts
            encoding: utf-8
            experiments:
              - name: t
                task: text-classification
                data: texts.csv
                text: text
                label: label
                encoding: latin1
                candidates: [ngram-sdca]
            """);
        var (ok, output, runError) = await MlwbCommand.RunAsync("run", suite, "--dry-run");
        Assert.True(ok == 0, runError);
        Assert.Contains("is valid", output);
    }
}
