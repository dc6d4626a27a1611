using LlmFromScratch.Attention;
using LlmFromScratch.Model;
using static LlmFromScratch.Tests.Attention.BookInputs;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Model;

public class TransformerBlockTests
{
    [Fact]
    public void Forward_KeepsTheShape()
    {
        using var block = new TransformerBlock(GptConfig.Tiny);
        using var x = rand(2, 4, 32);

        using var y = block.call(x);

        y.shape.Should().Equal(2, 4, 32);
    }

    [Fact]
    public void StateDict_HasTheBooksKeys_InTheBooksOrder()
    {
        using var block = new TransformerBlock(GptConfig.Tiny with { QkvBias = true });

        block.state_dict().Keys.Should().Equal(
            "att.W_query.weight", "att.W_query.bias", "att.W_key.weight", "att.W_key.bias",
            "att.W_value.weight", "att.W_value.bias", "att.out_proj.weight", "att.out_proj.bias",
            "ff.layers.0.weight", "ff.layers.0.bias", "ff.layers.2.weight", "ff.layers.2.bias",
            "norm1.scale", "norm1.shift", "norm2.scale", "norm2.shift");
    }

    [Fact]
    public void Forward_WithZeroedSublayerOutputs_ReturnsItsInput()
    {
        // Both shortcuts: when attention and feed-forward contribute nothing, the block is the identity.
        using var block = new TransformerBlock(GptConfig.Tiny);
        block.eval();
        using (no_grad())
            foreach (var (name, p) in block.named_parameters())
                if (name.StartsWith("att.out_proj") || name.StartsWith("ff.layers.2")) p.zero_();
        using var x = randn(1, 5, 32);

        using var y = block.call(x);

        Floats(y).Should().Equal(Floats(x));
    }

    [Fact]
    public void ForwardWithCache_FedInPieces_EqualsOneFullForward()
    {
        using var block = new TransformerBlock(GptConfig.Tiny);
        block.eval();
        using var x = randn(2, 10, 32);
        using var full = block.call(x);
        using var cache = new LayerKvCache(32);

        using var head = block.forward(x[.., ..7], cache);
        using var tail = block.forward(x[.., 7..], cache);

        Floats(cat([head, tail], dim: 1)).Should().Equal(Floats(full), (a, e) => Math.Abs(a - e) < 1e-5f);
    }
}
