using TorchSharp;
using MLWorkbench.Models.Onnx;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch.Bert;

/// <summary>What <see cref="BertWeights.LoadFromOnnx(BertEncoder, ReadOnlyMemory{byte})"/> did.</summary>
/// <param name="Assigned">Parameters of the encoder given a tensor of the graph (all of them, or loading throws).</param>
/// <param name="Transposed">Of those, dense weights found through the graph's MatMul nodes and transposed.</param>
/// <param name="Ignored">Graph tensors the encoder has no place for (such as <c>embeddings.position_ids</c> or a pooler).</param>
internal sealed record BertWeightsReport(int Assigned, int Transposed, IReadOnlyList<string> Ignored);

/// <summary>
/// Loads pretrained weights from a BERT ONNX export (such as the packaged all-MiniLM-L6-v2) into a
/// <see cref="BertEncoder"/>. Embeddings, biases and LayerNorm tensors carry Hugging Face names in the graph;
/// dense weight matrices do not, so each is found as the constant second input of the <c>MatMul</c> whose output
/// the <c>Add</c> with the named bias reads, and transposed from ONNX's [in, out] to torch's [out, in].
/// </summary>
internal static class BertWeights
{
    /// <summary>A MiniLM-L6 encoder (<see cref="BertConfig.MiniLmL6"/>) with the packaged all-MiniLM-L6-v2 weights, in eval mode.</summary>
    public static BertEncoder LoadMiniLm(Device? device = null)
    {
        var encoder = new BertEncoder(BertConfig.MiniLmL6);
        try
        {
            LoadFromOnnx(encoder, MiniLmAssets.ReadModel());
            if (device is not null) encoder.to(device);
            encoder.eval();
            return encoder;
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies every parameter of <paramref name="encoder"/> from the ONNX model in <paramref name="onnxModel"/>.
    /// Throws <see cref="InvalidDataException"/> naming each parameter with no tensor or a tensor of the wrong
    /// shape, and each encoder-layer tensor of the graph the encoder has no place for (a deeper or wider model).
    /// </summary>
    public static BertWeightsReport LoadFromOnnx(BertEncoder encoder, ReadOnlyMemory<byte> onnxModel)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var graph = OnnxGraph.Read(onnxModel);
        var (tensors, transposed) = NamedTensors(graph);
        var problems = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var assigned = 0;
        var transposedCount = 0;
        using (no_grad())
        {
            foreach (var (name, parameter) in encoder.named_parameters())
            {
                if (!tensors.TryGetValue(name, out var source))
                {
                    problems.Add($"{name}: no tensor in the graph");
                    continue;
                }
                used.Add(name);
                var isTransposed = transposed.Contains(name);
                var sourceShape = isTransposed ? source.Dimensions.Reverse().ToArray() : source.Dimensions;
                if (!sourceShape.SequenceEqual(parameter.shape))
                {
                    problems.Add($"{name}: graph shape [{string.Join(", ", sourceShape)}], encoder shape [{string.Join(", ", parameter.shape)}]");
                    continue;
                }
                using var values = tensor(source.ToFloats(), source.Dimensions);
                using var oriented = isTransposed ? values.t() : values.alias();
                parameter.copy_(oriented);
                assigned++;
                if (isTransposed) transposedCount++;
            }
        }
        var ignored = tensors.Keys.Where(name => !used.Contains(name)).Order(StringComparer.Ordinal).ToList();
        // A pooler or other head may be left behind; an embedding or layer tensor means the shapes disagree.
        problems.AddRange(ignored.Where(name => name.StartsWith("encoder.", StringComparison.Ordinal) || name.StartsWith("embeddings.", StringComparison.Ordinal))
            .Select(name => $"{name}: in the graph but not in the encoder"));
        if (problems.Count > 0)
            throw new InvalidDataException($"The ONNX weights do not fit the encoder ({assigned} of {encoder.parameters().Count()} parameters assigned):\n  " + string.Join("\n  ", problems));
        return new BertWeightsReport(assigned, transposedCount, ignored);
    }

    // Named initializers as they are, plus "<prefix>.weight" for each dense layer found through the graph.
    private static (Dictionary<string, OnnxTensor> Tensors, HashSet<string> Transposed) NamedTensors(OnnxGraph graph)
    {
        var tensors = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var (name, initializer) in graph.Initializers)
            if (IsHuggingFaceName(name) && initializer.DataType == OnnxTensor.Float) tensors[name] = initializer;

        var producers = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
            foreach (var output in node.Outputs) producers[output] = node;

        var transposed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var add in graph.Nodes.Where(n => n.OperatorType == "Add" && n.Inputs.Count == 2))
        {
            var bias = add.Inputs.FirstOrDefault(i => i.EndsWith(".bias", StringComparison.Ordinal) && tensors.ContainsKey(i));
            if (bias is null) continue;
            var other = add.Inputs[0] == bias ? add.Inputs[1] : add.Inputs[0];
            // LayerNorm biases meet a Mul, not a MatMul: those have named weights already.
            if (!producers.TryGetValue(other, out var matMul) || matMul.OperatorType != "MatMul") continue;
            var weight = matMul.Inputs.FirstOrDefault(graph.Initializers.ContainsKey);
            if (weight is null) continue;
            var name = bias[..^".bias".Length] + ".weight";
            // An exporter that kept the name feeds the MatMul that very tensor, already [in, out].
            if (tensors.ContainsKey(name) && weight != name)
                throw new InvalidDataException($"Two tensors claim {name}: a named initializer and the MatMul '{matMul.Name}'.");
            tensors[name] = graph.Initializers[weight];
            transposed.Add(name);
        }
        return (tensors, transposed);
    }

    // Hugging Face parameter names look like "embeddings.word_embeddings.weight"; exporter names like "onnx::MatMul_1234" or "1234".
    private static bool IsHuggingFaceName(string name) =>
        name.Contains('.') && !name.Contains("::", StringComparison.Ordinal) && char.IsLetter(name[0]);
}
