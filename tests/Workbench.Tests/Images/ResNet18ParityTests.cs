using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLWorkbench.Images;
using TorchSharp;
using Xunit;

namespace MLWorkbench.Tests.Images;

/// <summary>The TorchSharp ResNet-18 carries the shipped ONNX file's weights: same features as ONNX Runtime computes.</summary>
public sealed class ResNet18ParityTests
{
    private static string Model(string folder, string file) => Path.Combine(AppContext.BaseDirectory, "DnnImageModels", folder, file);

    [Fact]
    public void Features_match_onnx_runtime_on_the_shipped_model()
    {
        var resnet = File.ReadAllBytes(Model("ResNet18Onnx", "ResNet18.onnx"));
        using var network = new ResNet18Network(classes: 3);
        network.LoadFromOnnx(resnet, File.ReadAllBytes(Model("ResNetPrepOnnx", "ResNetPreprocess.onnx")));
        network.eval();

        // A smooth random image in the featurizer's input range (BGR 0–255 minus a mean around 110).
        var random = new Random(5);
        var input = Enumerable.Range(0, 3 * 224 * 224).Select(i => (float)(120 * Math.Sin(i * 0.001 + random.NextDouble() * 0.3))).ToArray();
        float[] torchFeatures;
        using (torch.no_grad())
        using (var x = torch.tensor(input).view(1, 3, 224, 224))
        using (var features = network.Features(x))
            torchFeatures = features.data<float>().ToArray();

        using var session = new InferenceSession(resnet);
        var name = session.InputMetadata.Keys.Single();
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(input, [1, 3, 224, 224]))]);
        var onnxFeatures = results.First().AsEnumerable<float>().ToArray();

        Assert.Equal(512, onnxFeatures.Length);
        var scale = onnxFeatures.Max(Math.Abs);
        Assert.True(scale > 0.1, $"features are all near zero ({scale})");
        var worst = torchFeatures.Zip(onnxFeatures, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-3 * scale, $"largest difference {worst} against feature scale {scale}");
    }
}
