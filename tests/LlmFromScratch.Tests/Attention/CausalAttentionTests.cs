using LlmFromScratch.Attention;
using TorchSharp;
using static LlmFromScratch.Tests.Attention.BookInputs;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Attention;

public class CausalAttentionTests
{
    [Fact]
    public void Forward_WithSeed123_ReproducesTheBooksContextVectors()
    {
        using var batch = Batch();
        manual_seed(123);
        using var ca = new CausalAttention(3, 2, contextLength: 6, dropout: 0.0);

        using var context = ca.call(batch);

        context.shape.Should().Equal(2, 6, 2);
        float[] expectedRows = [-0.4519f, 0.2216f, -0.5874f, 0.0058f, -0.6300f, -0.0632f, -0.5675f, -0.0843f, -0.5526f, -0.0981f, -0.5299f, -0.1081f];
        Floats(context).Should().Equal([.. expectedRows, .. expectedRows], FourDecimals);
    }

    [Fact]
    public void Forward_EarlierOutputs_DoNotDependOnLaterTokens()
    {
        manual_seed(1);
        using var ca = new CausalAttention(3, 4, contextLength: 8, dropout: 0.0);
        using var x = randn(1, 6, 3);
        using var changed = x.clone();
        changed[0, 4] = randn(3); // only tokens 4 and 5 change
        changed[0, 5] = randn(3);

        using var before = ca.call(x);
        using var after = ca.call(changed);

        Floats(after[0, ..4]).Should().Equal(Floats(before[0, ..4]));
        Floats(after[0, 4..]).Should().NotEqual(Floats(before[0, 4..]));
    }

    [Fact]
    public void StateDict_LeavesOutTheMask()
    {
        using var ca = new CausalAttention(3, 2, contextLength: 6, dropout: 0.0);

        ca.state_dict().Keys.Should().Equal("W_query.weight", "W_key.weight", "W_value.weight");
    }

    [Fact]
    public void Forward_Throws_WhenSequenceIsLongerThanTheContext()
    {
        using var ca = new CausalAttention(3, 2, contextLength: 4, dropout: 0.0);
        using var x = rand(1, 5, 3);

        var act = () => ca.call(x);

        act.Should().Throw<ArgumentException>().WithMessage("sequence length 5 exceeds ContextLength 4*");
    }

    [Fact]
    public void To_MovesTheNonPersistentMaskAlong()
    {
        // TorchSharp moves only buffers that named_buffers() lists, which skips non-persistent ones.
        using var ca = new CausalAttention(3, 2, contextLength: 4, dropout: 0.0);

        ca.to(META);

        MaskOf(ca).device_type.Should().Be(DeviceType.META);
        ca.state_dict().Keys.Should().NotContain(k => k.Contains("mask"));
    }

    internal static Tensor MaskOf(nn.Module module) =>
        (Tensor)module.GetType().GetField("mask", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(module)!;
}
