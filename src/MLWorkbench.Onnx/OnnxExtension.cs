using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLWorkbench.Bundles;
using MLWorkbench.Models.Onnx;
using MLWorkbench.Similarity;
using MLWorkbench.TextClassification;

[assembly: WorkbenchExtension(typeof(MLWorkbench.OnnxExtension))]

namespace MLWorkbench;

/// <summary>
/// MLWorkbench.Onnx as the core sees it: the MiniLM candidates of texts and sentence pairs, the MiniLM sentence encoder
/// that ML.NET text models feed on, and ONNX Runtime to check an ONNX export (its bundle formats and MiniLM's files are
/// registered by <see cref="MiniLmFamily"/> and <see cref="MiniLmNeighboursFamily"/>).
/// </summary>
internal sealed class OnnxExtension : WorkbenchExtension
{
    /// <inheritdoc/>
    public override IEnumerable<object> Trainers => [.. OnnxTextCandidates.All, .. OnnxPairCandidates.All];

    /// <inheritdoc/>
    public override IEnumerable<KeyValuePair<string, string>> RuntimeVersions =>
        [new("Microsoft.ML.OnnxRuntime", Version(typeof(InferenceSession).Assembly))];

    /// <inheritdoc/>
    public override IEnumerable<KeyValuePair<string, Func<int, ITextEncoder>>> TextEncoders =>
        [new(MlNetTextCandidate.MiniLmEncoder, maxLength => new MiniLmOnnxEncoder(maxLength))];

    /// <inheritdoc/>
    public override IOnnxRunner OnnxRunner { get; } = new Runner();

    private static string Version(Assembly assembly)
    {
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                      ?? assembly.GetName().Version?.ToString() ?? "unknown";
        var plus = version.IndexOf('+');
        return plus > 0 ? version[..plus] : version;
    }

    private sealed class Runner : IOnnxRunner
    {
        public float[] Run(byte[] onnx, string input, float[] values, int rows, int columns, string output)
        {
            try
            {
                using var session = new InferenceSession(onnx);
                var tensor = new DenseTensor<float>(values, [rows, columns]);
                using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, tensor)]);
                return results.FirstOrDefault(r => r.Name == output)?.AsTensor<float>().ToArray()
                       ?? throw new NotSupportedException($"The ONNX graph has no output {output}.");
            }
            catch (OnnxRuntimeException e)
            {
                throw new NotSupportedException($"The ONNX graph does not run in ONNX Runtime ({e.Message.ReplaceLineEndings(" ")}).", e);
            }
        }
    }
}
