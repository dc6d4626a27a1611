using LlmFromScratch.Runtime;
using TorchSharp;
using static LlmFromScratch.Tests.Attention.BookInputs;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Tests.Runtime;

public class MixedPrecisionTests
{
    [Fact]
    public void Linear_InFloat32_IsExactlyTheLayersOwnCall()
    {
        manual_seed(1);
        using var layer = Linear(16, 8);
        using var x = randn(3, 5, 16);

        using var plain = layer.call(x);
        using var mixed = MixedPrecision.Linear(layer, x, ScalarType.Float32);

        Floats(mixed).Should().Equal(Floats(plain));
    }

    [Fact]
    public void Linear_InBFloat16_ReturnsFloat32WithinBFloat16Precision_AndKeepsTheWeightsFloat32()
    {
        manual_seed(2);
        using var layer = Linear(64, 32);
        using var x = randn(4, 64);

        using var exact = layer.call(x);
        using var mixed = MixedPrecision.Linear(layer, x, ScalarType.BFloat16);

        mixed.dtype.Should().Be(ScalarType.Float32);
        layer.weight!.dtype.Should().Be(ScalarType.Float32);
        // bfloat16 keeps 8 significant bits (relative error ≤ 2⁻⁸ per rounding); a 64-term sum of inputs rounded
        // that way stays within a few hundredths here, while the outputs themselves are of order 1.
        var maxDiff = (mixed - exact).abs().max().item<float>();
        maxDiff.Should().BeGreaterThan(0f, "the product really ran in bfloat16").And.BeLessThan(0.05f);
    }

    [Fact]
    public void Linear_InBFloat16_CanKeepTheResultInBFloat16()
    {
        using var layer = Linear(8, 4);
        using var x = randn(2, 8);

        using var y = MixedPrecision.Linear(layer, x, ScalarType.BFloat16, resultDtype: ScalarType.BFloat16);

        y.dtype.Should().Be(ScalarType.BFloat16);
    }

    [Fact]
    public void Linear_InBFloat16_SendsTheGradientToTheFloat32Weight()
    {
        manual_seed(3);
        using var layer = Linear(8, 4);
        using var x = randn(2, 8);

        using var y = MixedPrecision.Linear(layer, x, ScalarType.BFloat16);
        y.sum().backward();

        layer.weight!.grad!.dtype.Should().Be(ScalarType.Float32);
        layer.bias!.grad!.dtype.Should().Be(ScalarType.Float32);
        // d(sum)/d(bias) is the batch size exactly, even through the bfloat16 cast.
        Floats(layer.bias.grad).Should().OnlyContain(g => g == 2f);
    }

    [Fact]
    public void Linear_CallsAModuleThatIsNotALinearAsIs_InFloat32()
    {
        using var layer = Sequential(Linear(8, 4), ReLU());
        using var x = randn(2, 8).to(ScalarType.BFloat16);

        using var y = MixedPrecision.Linear(layer, x, ScalarType.BFloat16);

        y.dtype.Should().Be(ScalarType.Float32);
        y.shape.Should().Equal(2, 4);
    }

    [Fact]
    public void Require_Throws_ForFloat16_NamingTheArgument()
    {
        var act = () => MixedPrecision.Require(ScalarType.Float16, "dtype");

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("dtype").WithMessage("*Float32 or BFloat16*");
        MixedPrecision.Require(ScalarType.BFloat16, "dtype").Should().Be(ScalarType.BFloat16);
    }
}
