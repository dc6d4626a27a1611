using LlmFromScratch.Finetuning;

namespace LlmFromScratch.Tests.Finetuning;

public class ResponseMetricsTests
{
    [Fact]
    public void Words_AreLowerCasedRunsOfLettersAndDigits()
    {
        ResponseMetrics.Words("The car's top-speed: 200 km/h!").Should().Equal("the", "car", "s", "top", "speed", "200", "km", "h");
    }

    [Theory]
    // 6 vs 6 words, 5 shared (the ×2, cat, on, mat): P = R = 5/6.
    [InlineData("The cat sat on the mat", "The cat is on the mat", 5.0 / 6)]
    // 3 response words all in the 6-word reference: P = 1, R = 1/2, F1 = 2/3.
    [InlineData("mat the cat", "the cat sat on the mat", 2.0 / 3)]
    // "the" twice in the response but once in the reference counts once: P = 1/2, R = 1, F1 = 2/3.
    [InlineData("the the", "the", 2.0 / 3)]
    [InlineData("nothing shared", "at all", 0.0)]
    [InlineData("", "", 1.0)]
    [InlineData("", "word", 0.0)]
    public void TokenF1_CountsSharedWordsWithMultiplicity(string response, string reference, double expected)
    {
        ResponseMetrics.TokenF1(response, reference).Should().BeApproximately(expected, 1e-12);
    }

    [Theory]
    [InlineData("The cat sat on the mat", "The cat is on the mat", 5.0 / 6)]
    // LCS "the cat" = 2: P = 2/3, R = 2/6, F = 2·(2/3)(1/3) / (2/3 + 1/3) = 4/9.
    [InlineData("mat the cat", "the cat sat on the mat", 4.0 / 9)]
    // LCS of "a b c d" and "b a d c" is 2 ("a c", "b d", …): P = R = 1/2.
    [InlineData("a b c d", "b a d c", 0.5)]
    [InlineData("", "", 1.0)]
    public void RougeL_UsesTheLongestCommonWordSubsequence(string response, string reference, double expected)
    {
        ResponseMetrics.RougeL(response, reference).Should().BeApproximately(expected, 1e-12);
    }
}
