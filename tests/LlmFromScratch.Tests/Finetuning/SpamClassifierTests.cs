using LlmFromScratch.Finetuning;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Finetuning;

public class SpamClassifierTests
{
    private static IReadOnlyList<int> Ids(string text) => text.Split(' ').Select(int.Parse).ToArray();

    [Theory]
    [InlineData("0 0 1", 3, 1)]
    [InlineData("1 1 0", 3, 0)]
    [InlineData("1 1 0 1", 3, 0)]   // cut to 3 tokens: the last kept token decides
    [InlineData("1", 3, 0)]         // padded with id 0, which votes class 0
    public void ClassifyReview_ReturnsTheLastTokensArgmax_AfterCuttingAndPadding(string text, int maxLength, int expected)
    {
        using var model = ClassificationMetricsTests.LastTokenModel();

        var label = SpamClassifier.ClassifyReview(text, model, Ids, CPU, maxLength, contextLength: 8, padTokenId: 0);

        label.Should().Be(expected);
    }

    [Fact]
    public void ClassifyReview_Throws_WhenMaxLengthExceedsTheContext()
    {
        using var model = ClassificationMetricsTests.LastTokenModel();

        var act = () => SpamClassifier.ClassifyReview("1", model, Ids, CPU, maxLength: 9, contextLength: 8);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxLength").WithMessage("*1..8*");
    }
}
