using LlmFromScratch.Text;

namespace LlmFromScratch.Tests.Text;

public class TextSplitterTests
{
    [Fact]
    public void TheVerdict_Has20479Characters()
    {
        TestData.Text("the-verdict").Length.Should().Be(20479);
    }

    [Fact]
    public void Split_TheVerdict_Gives4690Tokens_StartingLikeTheBook()
    {
        var tokens = TextSplitter.Split(TestData.Text("the-verdict"));

        tokens.Should().HaveCount(4690);
        tokens.Take(30).Should().Equal(
            "I", "HAD", "always", "thought", "Jack", "Gisburn", "rather", "a", "cheap", "genius", "--", "though", "a", "good",
            "fellow", "enough", "--", "so", "it", "was", "no", "great", "surprise", "to", "me", "to", "hear", "that", ",", "in");
    }

    [Fact]
    public void Split_KeepsPunctuationAndDoubleDash_AndDropsWhitespace()
    {
        var tokens = TextSplitter.Split("Hello, world. Is this-- a test?");

        tokens.Should().Equal("Hello", ",", "world", ".", "Is", "this", "--", "a", "test", "?");
    }

    [Fact]
    public void Split_KeepsEndOfTextAsOneToken()
    {
        TextSplitter.Split("tea? <|endoftext|> In").Should().Equal("tea", "?", "<|endoftext|>", "In");
    }

    [Fact]
    public void Split_WithSimplePattern_SplitsOnlyCommasPeriodsAndWhitespace()
    {
        var tokens = TextSplitter.Split("Hello, world. Is this-- a test?", TextSplitter.SimplePattern);

        tokens.Should().Equal("Hello", ",", "world", ".", "Is", "this--", "a", "test?");
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\t ")]
    public void Split_ReturnsNoTokens_ForEmptyOrWhitespaceText(string text)
    {
        TextSplitter.Split(text).Should().BeEmpty();
    }

    [Fact]
    public void Split_Throws_WhenTextIsNull()
    {
        var act = () => TextSplitter.Split(null!);

        act.Should().Throw<ArgumentNullException>().WithParameterName("text");
    }
}
