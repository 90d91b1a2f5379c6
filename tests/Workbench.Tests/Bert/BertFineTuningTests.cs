using System.Diagnostics;
using MLWorkbench.Models.Torch;
using MLWorkbench.Models.Torch.Bert;
using MLWorkbench.Text;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using MLWorkbench.Models;
using MLWorkbench.Tasks;
using static TorchSharp.torch;

namespace MLWorkbench.Tests.Bert;

/// <summary>The pretrained TorchSharp encoder trains: a few AdamW steps on STS-B pairs lower the loss.</summary>
[Collection(MiniLmCollection.Name)]
public sealed class BertFineTuningTests(ITestOutputHelper output)
{
    /// <summary>A bi-encoder: BERT, mean pooling, a dense head, unit length.</summary>
    private sealed class SentenceEmbedder : nn.Module<Tensor, Tensor, Tensor, Tensor>
    {
        private readonly BertEncoder encoder;
        private readonly Linear head;

        public SentenceEmbedder(BertEncoder bert) : base(nameof(SentenceEmbedder))
        {
            encoder = bert;
            head = nn.Linear(bert.Config.HiddenSize, bert.Config.HiddenSize);
            RegisterComponents();
        }

        public override Tensor forward(Tensor ids, Tensor mask, Tensor types)
        {
            using var scope = NewDisposeScope();
            var pooled = BertEncoder.MeanPool(encoder.call(ids, mask, types), mask);
            return nn.functional.normalize(head.call(pooled), dim: 1).MoveToOuterDisposeScope();
        }
    }

    [Fact]
    public void A_few_adamw_steps_lower_the_cosine_similarity_loss()
    {
        var (device, _, _) = TorchDevices.Resolve(ComputeDevice.Auto);
        random.manual_seed(17);
        var tokenizer = Models.Onnx.MiniLmAssets.CreateTokenizer();
        var pairs = StsBenchmark.Sample("train", 16);
        using var model = new SentenceEmbedder(BertWeights.LoadMiniLm());
        model.to(device);
        using var optimizer = optim.AdamW(model.parameters(), lr: 2e-5);

        // Both sides of every pair in one pass (rows 0..n-1 first sentences, n..2n-1 second ones).
        Tensor Loss(IReadOnlyList<StsPair> batch)
        {
            var texts = batch.Select(p => p.First).Concat(batch.Select(p => p.Second)).ToArray();
            var (ids, mask, types) = tokenizer.EncodeBatch(texts, maxLength: 32).ToTensors(device);
            var embeddings = model.call(ids, mask, types);
            var cosine = (embeddings[..batch.Count] * embeddings[batch.Count..]).sum(1);
            var target = tensor(batch.Select(p => (float)(p.Score / 5)).ToArray(), device: device);
            return nn.functional.mse_loss(cosine, target);
        }
        double Evaluate()
        {
            model.eval();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            return Loss(pairs).item<float>();
        }

        var before = Evaluate();
        var watch = Stopwatch.StartNew();
        var steps = 0;
        for (var epoch = 0; epoch < 2; epoch++)
        {
            model.train();
            for (var start = 0; start < pairs.Count; start += 8, steps++)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = Loss(pairs.Skip(start).Take(8).ToList());
                loss.backward();
                optimizer.step();
            }
        }
        watch.Stop();
        var after = Evaluate();
        output.WriteLine($"loss {before:F4} -> {after:F4} after {steps} steps; {steps * 16 / watch.Elapsed.TotalSeconds:F1} sequences/s forward+backward+AdamW (length <= 32)");
        Assert.True(after < before * 0.95, $"loss {before} -> {after}");
    }
}
