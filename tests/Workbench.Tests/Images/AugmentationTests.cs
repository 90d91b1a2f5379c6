using MLWorkbench.Images;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MLWorkbench.Tests.Images;

/// <summary>The CNN's augmentation: seeded (a trial is reproducible batch for batch), and only as wild as its options say.</summary>
public sealed class AugmentationTests
{
    private static Tensor Images()
    {
        // Four 3 x 16 x 16 images with a bright off-centre square each: any warp moves it.
        var x = zeros(4, 3, 16, 16);
        for (var i = 0; i < 4; i++) x[i, .., (2 + i)..(8 + i), 3..9] = ones(3, 6, 6);
        return x;
    }

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    [Fact]
    public void The_same_seed_gives_the_same_batches_and_another_seed_other_ones()
    {
        using var scope = NewDisposeScope();
        var options = new TorchImageOptions { RotationDegrees = 30, Flip = true };
        var x = Images();
        var first = Values(TorchImageCandidate.Augment(x, new Random(11), options, CPU));
        var again = Values(TorchImageCandidate.Augment(x, new Random(11), options, CPU));
        var other = Values(TorchImageCandidate.Augment(x, new Random(12), options, CPU));

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.NotEqual(Values(x), first);
    }

    [Fact]
    public void A_wider_rotation_range_warps_further()
    {
        using var scope = NewDisposeScope();
        var x = Images();
        // Same draws, only the rotation range differs: the mean change of 180° warps exceeds that of 10° warps.
        double Change(int degrees)
        {
            var random = new Random(5);
            double sum = 0;
            for (var i = 0; i < 20; i++)
                sum += (TorchImageCandidate.Augment(x, random, new TorchImageOptions { RotationDegrees = degrees }, CPU) - x).abs().mean().item<float>();
            return sum / 20;
        }
        Assert.True(Change(180) > Change(10) * 1.2, $"180°: {Change(180)}, 10°: {Change(10)}");
    }
}
