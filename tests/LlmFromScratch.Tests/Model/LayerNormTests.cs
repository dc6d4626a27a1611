using LlmFromScratch.Model;
using static LlmFromScratch.Tests.Attention.BookInputs;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Tests.Model;

public class LayerNormTests
{
    [Fact]
    public void Forward_EqualsTheBooksFormula_WithBiasedVariance()
    {
        using var ln = new LayerNorm(6);
        using (no_grad())
        {
            ln.get_parameter("scale")!.copy_(randn(6));
            ln.get_parameter("shift")!.copy_(randn(6));
        }
        using var x = randn(2, 3, 6) * 3 + 1;

        using var actual = ln.call(x);

        using var mean = x.mean([-1], keepdim: true);
        using var variance = x.var(-1, unbiased: false, keepdim: true);
        using var expected = ln.get_parameter("scale")! * (x - mean) / sqrt(variance + 1e-5) + ln.get_parameter("shift")!;
        Floats(actual).Should().Equal(Floats(expected), (a, e) => Math.Abs(a - e) < 1e-5f);
    }

    [Fact]
    public void Forward_OnTheBooksExample_GivesMeanZeroAndTheBooksVariance()
    {
        manual_seed(123);
        using var batchExample = randn(2, 5);
        using var layer = Sequential(Linear(5, 6), ReLU());
        using var output = layer.call(batchExample);
        Floats(output[0]).Should().Equal([0.2260f, 0.3470f, 0f, 0.2216f, 0f, 0f], FourDecimals);
        using var ln = new LayerNorm(6);

        using var normed = ln.call(output);

        Floats(normed.mean([-1])).Should().AllSatisfy(m => m.Should().BeApproximately(0f, 1e-6f));
        // Not exactly 1 because of ε (the book prints 0.9995 and 0.9997).
        Floats(normed.var(-1, unbiased: false)).Should().Equal([0.9995f, 0.9997f], FourDecimals);
    }

    [Fact]
    public void Parameters_AreScaleAndShift_StartingAtOneAndZero()
    {
        using var ln = new LayerNorm(4);

        ln.state_dict().Keys.Should().Equal("scale", "shift");
        Floats(ln.get_parameter("scale")!).Should().Equal(1f, 1f, 1f, 1f);
        Floats(ln.get_parameter("shift")!).Should().Equal(0f, 0f, 0f, 0f);
    }
}
