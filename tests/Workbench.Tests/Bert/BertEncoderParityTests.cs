using MLWorkbench.Models.Onnx;
using MLWorkbench.Models.Torch;
using MLWorkbench.Models.Torch.Bert;
using TorchSharp;
using Xunit.Abstractions;
using MLWorkbench.Models;
using MLWorkbench.Tasks;
using static TorchSharp.torch;

namespace MLWorkbench.Tests.Bert;

/// <summary>The TorchSharp BERT with weights read from the ONNX graph computes what ONNX Runtime computes.</summary>
[Collection(MiniLmCollection.Name)]
public sealed class BertEncoderParityTests(MiniLmFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void Parameter_names_are_hugging_faces()
    {
        using var encoder = new BertEncoder(BertConfig.MiniLmL6 with { Layers = 2 });
        var names = encoder.named_parameters().Select(p => p.name).ToHashSet();
        Assert.Contains("embeddings.word_embeddings.weight", names);
        Assert.Contains("embeddings.LayerNorm.bias", names);
        Assert.Contains("encoder.layer.1.attention.self.query.weight", names);
        Assert.Contains("encoder.layer.1.attention.output.LayerNorm.weight", names);
        Assert.Contains("encoder.layer.0.intermediate.dense.bias", names);
        Assert.Contains("encoder.layer.0.output.dense.weight", names);
        Assert.Equal(5 + 2 * 16, names.Count);
    }

    [Fact]
    public void Every_parameter_is_loaded_from_the_onnx_graph()
    {
        using var encoder = new BertEncoder(BertConfig.MiniLmL6);
        var report = BertWeights.LoadFromOnnx(encoder, MiniLmAssets.ReadModel());
        output.WriteLine($"assigned {report.Assigned}, transposed {report.Transposed}, ignored: {string.Join(", ", report.Ignored)}");
        Assert.Equal(5 + 6 * 16, report.Assigned);
        Assert.Equal(6 * 6, report.Transposed); // query, key, value, attention output, intermediate, output per layer
        Assert.Equal(22_565_376, encoder.parameters().Sum(p => p.numel())); // the graph's pooler is not part of the encoder
        Assert.Equal(["pooler.dense.bias", "pooler.dense.weight"], report.Ignored);
    }

    [Fact]
    public void A_model_of_another_shape_fails_loudly()
    {
        using var deeper = new BertEncoder(BertConfig.MiniLmL6 with { Layers = 7 });
        var error = Assert.Throws<InvalidDataException>(() => BertWeights.LoadFromOnnx(deeper, MiniLmAssets.ReadModel()));
        Assert.Contains("encoder.layer.6.attention.self.query.weight: no tensor in the graph", error.Message);
        using var shallower = new BertEncoder(BertConfig.MiniLmL6 with { Layers = 5 });
        Assert.Contains("encoder.layer.5.output.LayerNorm.bias: in the graph but not in the encoder",
            Assert.Throws<InvalidDataException>(() => BertWeights.LoadFromOnnx(shallower, MiniLmAssets.ReadModel())).Message);
    }

    [Fact]
    public void Last_hidden_state_matches_onnx_runtime()
    {
        var (device, _, _) = TorchDevices.Resolve(ComputeDevice.Auto);
        using var encoder = BertWeights.LoadMiniLm(device);
        var batch = fixture.Onnx.Tokenizer.EncodeBatch(
            ["A man is playing a guitar.", "Hello, world!", "The quick brown fox jumps over the lazy dog near the riverbank.", "上下 naïve café"],
            ["Someone plays an instrument.", "Hi!", "A dog sleeps.", "x"]);
        var expected = fixture.Onnx.LastHiddenState(batch);

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (ids, mask, types) = batch.ToTensors(device);
        var hidden = encoder.call(ids, mask, types);
        var actual = hidden.cpu().data<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);

        // Compare real tokens only: padded positions are never read (pooling masks them).
        var maxDifference = 0.0;
        for (var r = 0; r < batch.Count; r++)
            for (var t = 0; t < batch.Length(r); t++)
                for (var d = 0; d < 384; d++)
                {
                    var i = (r * batch.SequenceLength + t) * 384 + d;
                    maxDifference = Math.Max(maxDifference, Math.Abs(expected[i] - actual[i]));
                }
        var onnxEmbeddings = fixture.Onnx.Encode(batch);
        var torchEmbeddings = nn.functional.normalize(BertEncoder.MeanPool(hidden, mask), dim: 1).cpu().data<float>().ToArray();
        var minCosine = Enumerable.Range(0, batch.Count)
            .Min(r => MiniLmOnnxEncoderTests.Cosine(onnxEmbeddings[r], torchEmbeddings[(r * 384)..((r + 1) * 384)]));
        output.WriteLine($"max |torch - onnx| over real tokens: {maxDifference:E2}; min embedding cosine: {minCosine:F7}");
        Assert.True(maxDifference < 1e-3, $"max abs difference {maxDifference}");
        Assert.True(minCosine > 0.9999, $"min cosine {minCosine}");
    }
}
