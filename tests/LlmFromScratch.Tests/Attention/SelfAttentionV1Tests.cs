using LlmFromScratch.Attention;
using static LlmFromScratch.Tests.Attention.BookInputs;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Attention;

public class SelfAttentionV1Tests
{
    [Fact]
    public void Forward_WithSeed123_ReproducesTheBooksContextVectors()
    {
        using var inputs = YourJourneyStartsWithOneStep();
        manual_seed(123);
        using var saV1 = new SelfAttentionV1(3, 2);

        using var context = saV1.call(inputs);

        context.shape.Should().Equal(6, 2);
        Floats(context).Should().Equal(
            [0.2996f, 0.8053f, 0.3061f, 0.8210f, 0.3058f, 0.8203f, 0.2948f, 0.7939f, 0.2927f, 0.7891f, 0.2990f, 0.8040f],
            FourDecimals);
    }

    [Fact]
    public void Parameters_AreTheThreeRawWeightMatrices()
    {
        using var saV1 = new SelfAttentionV1(3, 2);

        saV1.named_parameters().Select(p => (p.name, string.Join("x", p.parameter.shape)))
            .Should().Equal(("W_query", "3x2"), ("W_key", "3x2"), ("W_value", "3x2"));
    }
}
