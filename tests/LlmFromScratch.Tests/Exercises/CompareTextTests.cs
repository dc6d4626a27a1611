using LlmFromScratch.Exercises;

namespace LlmFromScratch.Tests.Exercises;

public class CompareTextTests
{
    [Fact]
    public void Tokens_QuotesAndEscapesTheFirstDifferentToken()
    {
        var act = () => CompareText.Tokens(["It", "s\n", "done"], ["It", "s", "done"], "tokens");

        act.Should().Throw<Mismatch>().WithMessage("tokens: token 1 is 's\\n', expected 's' (got ['It', 's\\n', 'done'], expected ['It', 's', 'done'])");
    }

    [Fact]
    public void Tokens_NamesTheMissingToken_WhenTheListIsShort()
    {
        var act = () => CompareText.Tokens(["a"], ["a", "?"], "tokens");

        act.Should().Throw<Mismatch>().WithMessage("tokens: 1 tokens, expected 2; the first 1 agree, then '?' is missing");
    }

    [Fact]
    public void Tokens_Accepts_EqualLists()
    {
        var act = () => CompareText.Tokens(["a", "b"], ["a", "b"], "tokens");

        act.Should().NotThrow();
    }

    [Fact]
    public void Rows_NamesTheRowAndIndex_OfTheFirstDifference()
    {
        var act = () => CompareText.Rows<int>([[1, 2], [3, 5]], [[1, 2], [3, 4]], "inputs", "window");

        act.Should().Throw<Mismatch>().WithMessage("inputs, window 1: first difference at index 1: got 5, expected 4 (got [3, 5], expected [3, 4])");
    }

    [Fact]
    public void Rows_CountsTheRows_WhenOneIsMissing()
    {
        var act = () => CompareText.Rows<int>([[1, 2]], [[1, 2], [3, 4]], "inputs", "window");

        act.Should().Throw<Mismatch>().WithMessage("inputs: 1 windows, expected 2");
    }

    [Fact]
    public void Vocabularies_NamesTheTokenWithTheWrongId()
    {
        var act = () => CompareText.Vocabularies(new Dictionary<string, int> { ["b"] = 0, ["a"] = 1 }, new Dictionary<string, int> { ["a"] = 0, ["b"] = 1 }, "vocabulary");

        act.Should().Throw<Mismatch>().WithMessage("vocabulary: 'a' has id 1, expected 0 (your tokens by id: ['b', 'a']; expected: ['a', 'b'])");
    }

    [Fact]
    public void Vocabularies_NamesAnExtraToken()
    {
        var act = () => CompareText.Vocabularies(new Dictionary<string, int> { ["a"] = 0, ["x"] = 1 }, new Dictionary<string, int> { ["a"] = 0 }, "vocabulary");

        act.Should().Throw<Mismatch>().WithMessage("vocabulary: 2 entries, expected 1; 'x' should not be in it");
    }

    [Fact]
    public void List_ShowsOnlyTheItemsAroundTheFocus_OfALongList()
    {
        CompareText.List(Enumerable.Range(0, 20).ToArray(), 10).Should().Be("[…, 7, 8, 9, 10, 11, 12, 13, …]");
    }
}
