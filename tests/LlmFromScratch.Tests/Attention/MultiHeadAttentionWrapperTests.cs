using LlmFromScratch.Attention;
using static LlmFromScratch.Tests.Attention.BookInputs;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Attention;

public class MultiHeadAttentionWrapperTests
{
    [Fact]
    public void Forward_WithSeed123_ReproducesTheBooksContextVectors()
    {
        using var batch = Batch();
        manual_seed(123);
        using var mha = new MultiHeadAttentionWrapper(3, 2, contextLength: 6, dropout: 0.0, numHeads: 2);

        using var context = mha.call(batch);

        context.shape.Should().Equal(2, 6, 4);
        Floats(context[0, 0]).Should().Equal([-0.4519f, 0.2216f, 0.4772f, 0.1063f], FourDecimals);
        Floats(context[1, 5]).Should().Equal([-0.5299f, -0.1081f, 0.5077f, 0.3493f], FourDecimals);
    }

    [Fact]
    public void StateDict_NamesEachHeadUnderHeads()
    {
        using var mha = new MultiHeadAttentionWrapper(3, 2, contextLength: 6, dropout: 0.0, numHeads: 2);

        mha.state_dict().Keys.Should().Equal(
            "heads.0.W_query.weight", "heads.0.W_key.weight", "heads.0.W_value.weight",
            "heads.1.W_query.weight", "heads.1.W_key.weight", "heads.1.W_value.weight");
    }
}
