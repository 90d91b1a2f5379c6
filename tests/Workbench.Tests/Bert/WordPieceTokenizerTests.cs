using MLWorkbench.Models.Onnx;
using MLWorkbench.Text;

namespace MLWorkbench.Tests.Bert;

/// <summary>
/// The MiniLM (bert-base-uncased) vocabulary through our WordPiece tokenizer. Expected ids come from a Python port
/// of Hugging Face's BertTokenizer (BasicTokenizer + WordpieceTokenizer), which also agreed with this tokenizer on
/// all 17,274 STS Benchmark sentences.
/// </summary>
public sealed class WordPieceTokenizerTests
{
    private static readonly Lazy<BertWordPieceTokenizer> Shared = new(MiniLmAssets.CreateTokenizer);
    private static BertWordPieceTokenizer Tokenizer => Shared.Value;

    [Fact]
    public void Vocabulary_is_the_bert_base_uncased_one()
    {
        Assert.Equal(30522, Tokenizer.VocabularySize);
        Assert.Equal((101, 102, 0, 100), (Tokenizer.ClassificationId, Tokenizer.SeparatorId, Tokenizer.PaddingId, Tokenizer.UnknownId));
        // The packaged vocab.txt has CRLF line ends: no token may keep the carriage return.
        Assert.DoesNotContain(Enumerable.Range(0, Tokenizer.VocabularySize), id => Tokenizer.Token(id).Contains('\r'));
    }

    [Fact]
    public void Hello_world_gets_the_well_known_ids()
    {
        var batch = Tokenizer.Encode("Hello, world!");
        Assert.Equal([101L, 7592, 1010, 2088, 999, 102], batch.InputIds);
        Assert.Equal(["hello", ",", "world", "!"], Tokenizer.Tokenize("Hello, world!"));
        Assert.All(batch.AttentionMask, m => Assert.Equal(1L, m));
        Assert.All(batch.TokenTypeIds, t => Assert.Equal(0L, t));
    }

    [Theory]
    [InlineData("上下", new[] { 1742, 1743 })] // each ideograph its own token (as one word it would be [UNK])
    [InlineData("你好世界。", new[] { 100, 100, 1745, 100, 1636 })] // ideographs missing from the vocabulary are [UNK] one by one
    [InlineData("Héllo Crème BRÛLÉE naïve", new[] { 7592, 13675, 21382, 7987, 9307, 2063, 15743 })] // lowercased, accents stripped
    [InlineData("3.14 $5 #tag @user", new[] { 1017, 1012, 2403, 1002, 1019, 1001, 6415, 1030, 5310 })] // ASCII symbols split like punctuation
    [InlineData("tab\there\nnew\u0000line\u200Bzw", new[] { 21628, 2182, 2047, 4179, 2480, 2860 })] // controls dropped, tab/newline split
    [InlineData("a [SEP] b", new[] { 1037, 1031, 19802, 1033, 1038 })] // special tokens in text stay text
    [InlineData("emoji 😀 ok", new[] { 7861, 29147, 2072, 100, 7929 })] // unknown symbol: [UNK], not dropped
    [InlineData("İstanbul ΣΊΣΥΦΟΣ", new[] { 9960, 1173, 18199, 29733, 29735, 29736, 15297 })] // Python's lowercase rules
    public void Basic_tokenization_matches_hugging_face(string text, int[] expected) =>
        Assert.Equal(expected, Tokenizer.EncodeToIds(text));

    [Fact]
    public void Overlong_words_become_one_unknown_token() =>
        Assert.Equal([100], Tokenizer.EncodeToIds(new string('x', 101)));

    [Fact]
    public void Pairs_get_two_separators_and_token_types()
    {
        var batch = Tokenizer.Encode("Hello, world!", "上下");
        Assert.Equal([101L, 7592, 1010, 2088, 999, 102, 1742, 1743, 102], batch.InputIds);
        Assert.Equal([0L, 0, 0, 0, 0, 0, 1, 1, 1], batch.TokenTypeIds);
        Assert.Equal(0, batch.TruncatedCount);
    }

    [Fact]
    public void Batches_pad_to_the_longest_row_and_count_truncations()
    {
        // The third row fits exactly: not truncated.
        var batch = Tokenizer.EncodeBatch(["a b c d e f", "hello", "a b c"], maxLength: 5);
        Assert.Equal((3, 5, 1), (batch.Count, batch.SequenceLength, batch.TruncatedCount));
        Assert.Equal([101L, 1037, 1038, 1039, 102], batch.InputIds[..5]);
        Assert.Equal([101L, 7592, 102, 0, 0], batch.InputIds[5..10]);
        Assert.Equal([1L, 1, 1, 0, 0], batch.AttentionMask[5..10]);
        Assert.Equal([3, 5], [batch.Length(1), batch.Length(2)]);
        Assert.Equal(64, Tokenizer.EncodeBatch(["hello"], maxLength: 64, padToMaxLength: true).SequenceLength);
    }

    [Fact]
    public void Pair_truncation_takes_from_the_longer_text_first()
    {
        // 6 + 2 tokens into 8 - 3 = 5: the first text keeps 3, the second keeps both.
        var batch = Tokenizer.Encode("a b c d e f", "g h", maxLength: 8);
        Assert.Equal([101L, 1037, 1038, 1039, 102, 1043, 1044, 102], batch.InputIds);
        Assert.Equal(1, batch.TruncatedCount);
        // Both long: the first keeps the larger half.
        var both = Tokenizer.Encode("a b c d e f", "g h i j k l", maxLength: 8);
        Assert.Equal([101L, 1037, 1038, 1039, 102, 1043, 1044, 102], both.InputIds);
    }
}
