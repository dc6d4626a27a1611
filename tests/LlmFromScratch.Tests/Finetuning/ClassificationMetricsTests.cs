using LlmFromScratch.Finetuning;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Finetuning;

public class ClassificationMetricsTests
{
    // (b=2, t=2, classes=2): the first position's logits would give other answers, so only the last may count.
    private static Tensor Logits() => tensor(new float[] { 5, 0, 1, 3, 0, 5, 2, 0 }, [2, 2, 2]);

    private static Tensor Labels() => tensor(new long[] { 1, 1 });

    [Fact]
    public void LastTokenLoss_IsCrossEntropyOfTheLastPosition()
    {
        var loss = ClassificationMetrics.LastTokenLoss(Logits(), Labels());

        // Row 0: -log softmax([1, 3])[1] = log(1 + e^-2); row 1: -log softmax([2, 0])[1] = log(1 + e^2) = 2 + log(1 + e^-2).
        var expected = Math.Log(1 + Math.Exp(-2)) + 1;
        loss.shape.Should().BeEmpty();
        loss.item<float>().Should().BeApproximately((float)expected, 1e-6f);
    }

    [Fact]
    public void Accuracy_IsTheMeanOfArgmaxEqualsLabel_AtTheLastPosition()
    {
        ClassificationMetrics.CorrectCount(Logits(), Labels()).Should().Be(1);
        ClassificationMetrics.Accuracy(Logits(), Labels()).Should().Be(0.5);
        ClassificationMetrics.Accuracy(Logits(), tensor(new long[] { 1, 0 })).Should().Be(1.0);
    }

    [Fact]
    public void LastTokenLoss_Throws_WhenLabelsDoNotMatchTheBatch()
    {
        var act = () => ClassificationMetrics.LastTokenLoss(Logits(), tensor(new long[] { 1, 0, 1 }));

        act.Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("labels must be (b) with b = 2*got shape [3]*");
    }

    [Fact]
    public void LastTokenLoss_Throws_ForTwoDimensionalLogits()
    {
        var act = () => ClassificationMetrics.LastTokenLoss(zeros(2, 2), Labels());

        act.Should().Throw<ArgumentException>().WithParameterName("logits");
    }

    [Fact]
    public void LoaderMetrics_AverageOverTheFirstBatches_OfAModel()
    {
        using var model = LastTokenModel();
        // Token 0 votes class 0 with logits [2, 0], token 1 votes class 1 with [0, 2].
        var examples = new (long Token, long Label)[] { (0, 0), (1, 1), (1, 0), (0, 0), (1, 1), (0, 1) };
        var loader = new BatchLoader(examples.Length, 2, idx => (
            tensor(idx.Select(i => examples[i].Token).ToArray(), [idx.Count, 1]),
            tensor(idx.Select(i => examples[i].Label).ToArray())));
        var right = Math.Log(1 + Math.Exp(-2));
        var wrong = Math.Log(1 + Math.Exp(2));

        var accuracy = ClassificationMetrics.CalcAccuracyLoader(loader, model, CPU);
        var accuracyFirst = ClassificationMetrics.CalcAccuracyLoader(loader, model, CPU, numBatches: 1);
        var loss = ClassificationMetrics.CalcLossLoader(loader, model, CPU);
        var lossFirstTwo = ClassificationMetrics.CalcLossLoader(loader, model, CPU, numBatches: 2);

        accuracy.Should().BeApproximately(4.0 / 6, 1e-12);
        accuracyFirst.Should().Be(1.0);
        loss.Should().BeApproximately((right + (right + wrong) / 2 + (right + wrong) / 2) / 3, 1e-6);
        lossFirstTwo.Should().BeApproximately((right + (right + wrong) / 2) / 2, 1e-6);
    }

    [Fact]
    public void CalcLossLoader_IsNaN_ForAnEmptyLoader()
    {
        using var model = LastTokenModel();
        var loader = new BatchLoader(0, 2, _ => throw new InvalidOperationException("no batches expected"));

        ClassificationMetrics.CalcLossLoader(loader, model, CPU).Should().Be(double.NaN);
    }

    /// <summary>(b, t) ids → (b, t, 2) logits through a fixed embedding: token 0 → [2, 0], token 1 → [0, 2].</summary>
    internal static nn.Module<Tensor, Tensor> LastTokenModel()
    {
        var embedding = nn.Embedding(2, 2);
        using (no_grad()) embedding.weight!.copy_(tensor(new float[] { 2, 0, 0, 2 }, [2, 2]));
        return nn.Sequential(("emb", embedding));
    }
}
