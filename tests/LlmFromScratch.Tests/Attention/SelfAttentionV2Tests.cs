using LlmFromScratch.Attention;
using static LlmFromScratch.Tests.Attention.BookInputs;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Attention;

public class SelfAttentionV2Tests
{
    [Fact]
    public void Forward_WithSeed789_ReproducesTheBooksContextVectors()
    {
        using var inputs = YourJourneyStartsWithOneStep();
        manual_seed(789);
        using var saV2 = new SelfAttentionV2(3, 2);

        using var context = saV2.call(inputs);

        Floats(context).Should().Equal(
            [-0.0739f, 0.0713f, -0.0748f, 0.0703f, -0.0749f, 0.0702f, -0.0760f, 0.0685f, -0.0763f, 0.0679f, -0.0754f, 0.0693f],
            FourDecimals);
    }

    [Fact]
    public void Forward_EqualsSelfAttentionV1_WithTheTransposedLinearWeights()
    {
        // Exercise 3.1: a bias-free Linear computes x · Wᵀ, so V1 with W = Linear.weightᵀ gives the same output.
        using var inputs = YourJourneyStartsWithOneStep();
        using var saV2 = new SelfAttentionV2(3, 2);
        using var saV1 = new SelfAttentionV1(3, 2);
        var v2 = saV2.state_dict();
        using (no_grad())
            foreach (var name in new[] { "W_query", "W_key", "W_value" })
                saV1.get_parameter(name)!.copy_(v2[$"{name}.weight"].T);

        using var expected = saV2.call(inputs);
        using var actual = saV1.call(inputs);

        Floats(actual).Should().Equal(Floats(expected), (a, e) => Math.Abs(a - e) < 1e-6f);
    }

    [Fact]
    public void StateDict_HasBiases_OnlyWhenQkvBiasIsOn()
    {
        using var without = new SelfAttentionV2(3, 2);
        using var with = new SelfAttentionV2(3, 2, qkvBias: true);

        without.state_dict().Keys.Should().Equal("W_query.weight", "W_key.weight", "W_value.weight");
        with.state_dict().Keys.Should().Equal(
            "W_query.weight", "W_query.bias", "W_key.weight", "W_key.bias", "W_value.weight", "W_value.bias");
    }
}
