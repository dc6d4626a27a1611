using LlmFromScratch.Finetuning;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Finetuning;

public class LinearWithLoRATests
{
    [Fact]
    public void Forward_EqualsTheWrappedLinear_AtInit()
    {
        manual_seed(123);
        var linear = nn.Linear(8, 5);
        using var wrapped = new LinearWithLoRA(linear, rank: 4, alpha: 16);
        var x = randn(3, 7, 8);

        var expected = linear.call(x);
        var actual = wrapped.call(x);

        actual.shape.Should().Equal(3, 7, 5);
        actual.data<float>().ToArray().Should().Equal(expected.data<float>().ToArray());
    }

    [Fact]
    public void Forward_AddsTheLoRAUpdate_OnceBIsNonZero()
    {
        manual_seed(123);
        var linear = nn.Linear(4, 3);
        using var wrapped = new LinearWithLoRA(linear, rank: 2, alpha: 0.5);
        using (no_grad()) wrapped.LoRA.get_parameter("B")!.fill_(1f);
        var x = randn(2, 4);

        var expected = linear.call(x) + 0.5 * x.matmul(wrapped.LoRA.get_parameter("A")!).matmul(ones(2, 3));

        wrapped.call(x).allclose(expected, rtol: 1e-6, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void StateDict_UsesTheBooksKeys()
    {
        using var wrapped = new LinearWithLoRA(nn.Linear(4, 3), rank: 2, alpha: 1);

        wrapped.state_dict().Keys.Should().Equal("linear.weight", "linear.bias", "lora.A", "lora.B");
    }
}
