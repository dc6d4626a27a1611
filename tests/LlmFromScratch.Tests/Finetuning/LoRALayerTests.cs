using LlmFromScratch.Finetuning;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Finetuning;

public class LoRALayerTests
{
    [Fact]
    public void Constructor_RegistersAAndB_UnderTheBooksNames_WithTheirShapes()
    {
        using var layer = new LoRALayer(6, 4, rank: 2, alpha: 8);

        layer.named_parameters().Select(p => (p.name, p.parameter.shape)).Should().BeEquivalentTo(new[]
        {
            ("A", new long[] { 6, 2 }), ("B", new long[] { 2, 4 }),
        }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Constructor_InitialisesAWithKaimingUniform_AndBWithZeros()
    {
        // kaiming_uniform with a = sqrt(5) on an (in, rank) tensor draws from U(-1/sqrt(rank), 1/sqrt(rank)):
        // the same draws as uniform_ with that bound on the same seed.
        manual_seed(123);
        using var layer = new LoRALayer(5, 3, rank: 4, alpha: 1);
        manual_seed(123);
        using var expected = empty(5, 4);
        nn.init.uniform_(expected, -0.5, 0.5);

        layer.get_parameter("A")!.data<float>().ToArray().Should().Equal(expected.data<float>().ToArray());
        layer.get_parameter("B")!.data<float>().ToArray().Should().OnlyContain(v => v == 0f);
    }

    [Fact]
    public void Forward_IsAlphaTimesXAB()
    {
        using var layer = new LoRALayer(2, 2, rank: 1, alpha: 3);
        using (no_grad())
        {
            layer.get_parameter("A")!.copy_(tensor(new float[] { 1, 2 }, [2, 1]));
            layer.get_parameter("B")!.copy_(tensor(new float[] { 1, -1 }, [1, 2]));
        }

        var y = layer.call(tensor(new float[] { 1, 1, 2, 0 }, [2, 2]));   // rows x·A = 3 and 2

        y.data<float>().ToArray().Should().Equal(9f, -9f, 6f, -6f);
    }

    [Fact]
    public void Constructor_Throws_ForRankZero()
    {
        var act = () => new LoRALayer(4, 4, rank: 0, alpha: 1);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("rank");
    }
}
