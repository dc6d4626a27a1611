using LlmFromScratch.Attention;
using static LlmFromScratch.Tests.Attention.BookInputs;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Attention;

public class SimplifiedSelfAttentionTests
{
    [Fact]
    public void AttentionScores_ForQueryTwo_MatchTheBook()
    {
        using var inputs = YourJourneyStartsWithOneStep();
        using var scores = SimplifiedSelfAttention.AttentionScores(inputs);

        scores.shape.Should().Equal(6, 6);
        Floats(scores[1]).Should().Equal([0.9544f, 1.4950f, 1.4754f, 0.8434f, 0.7070f, 1.0865f], FourDecimals);
    }

    [Fact]
    public void AttentionWeights_RowsSumToOne_AndMatchTheBookForQueryTwo()
    {
        using var inputs = YourJourneyStartsWithOneStep();
        using var weights = SimplifiedSelfAttention.AttentionWeights(inputs);

        Floats(weights.sum(-1)).Should().AllSatisfy(s => s.Should().BeApproximately(1f, 1e-6f));
        Floats(weights[1]).Should().Equal([0.1385f, 0.2379f, 0.2333f, 0.1240f, 0.1082f, 0.1581f], FourDecimals);
    }

    [Fact]
    public void ContextVectors_SecondRow_IsTheBooksContextVectorTwo()
    {
        using var inputs = YourJourneyStartsWithOneStep();
        using var context = SimplifiedSelfAttention.ContextVectors(inputs);

        context.shape.Should().Equal(6, 3);
        Floats(context[1]).Should().Equal([0.4419f, 0.6515f, 0.5683f], FourDecimals);
        Floats(context[0]).Should().Equal([0.4421f, 0.5931f, 0.5790f], FourDecimals);
    }

    [Fact]
    public void AttentionScores_Throws_WhenInputIsNotAMatrix()
    {
        using var batch = Batch();

        var act = () => SimplifiedSelfAttention.AttentionScores(batch);

        act.Should().Throw<ArgumentException>().WithParameterName("inputs").WithMessage("*2, 6, 3*");
    }
}
