using LlmFromScratch.Model;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Model;

public class FeedForwardTests
{
    [Fact]
    public void Forward_KeepsTheShape()
    {
        using var ff = new FeedForward(GptConfig.Tiny);
        using var x = rand(2, 3, 32);

        using var y = ff.call(x);

        y.shape.Should().Equal(2, 3, 32);
    }

    [Fact]
    public void StateDict_UsesTheBooksSequentialKeys_WidenedFourTimes()
    {
        using var ff = new FeedForward(GptConfig.Tiny);

        ff.state_dict().Select(kv => (kv.Key, string.Join("x", kv.Value.shape))).Should().Equal(
            ("layers.0.weight", "128x32"), ("layers.0.bias", "128"), ("layers.2.weight", "32x128"), ("layers.2.bias", "32"));
    }

    [Fact]
    public void Forward_InBFloat16_StaysCloseToFloat32_AndReturnsFloat32()
    {
        manual_seed(4);
        using var ff = new FeedForward(GptConfig.Tiny);
        using var x = randn(2, 3, 32);
        using var exact = ff.call(x);

        ff.ComputeDtype = ScalarType.BFloat16;
        using var mixed = ff.call(x);

        mixed.dtype.Should().Be(ScalarType.Float32);
        (mixed - exact).abs().max().item<float>().Should().BeGreaterThan(0f).And.BeLessThan(0.05f);
    }
}
