using LlmFromScratch.Model;
using static LlmFromScratch.Tests.Attention.BookInputs;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Model;

public class GeluTests
{
    [Fact]
    public void Forward_EqualsTheTanhApproximation()
    {
        using var gelu = new Gelu();
        using var x = linspace(-3, 3, 100);

        using var actual = gelu.call(x);

        using var expected = 0.5 * x * (1 + tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * x.pow(3))));
        Floats(actual).Should().Equal(Floats(expected), (a, e) => Math.Abs(a - e) < 1e-6f);
    }

    [Fact]
    public void Forward_LetsSmallNegativeValuesThrough_UnlikeRelu()
    {
        using var gelu = new Gelu();
        using var x = tensor(new[] { -1f, 0f, 1f });

        var y = Floats(gelu.call(x));

        y[0].Should().BeApproximately(-0.1588f, 1e-4f);
        y[1].Should().Be(0f);
        y[2].Should().BeApproximately(0.8412f, 1e-4f);
    }
}
