using LlmFromScratch.Text;

namespace LlmFromScratch.Tests.Text;

public class SimpleTokenizerV1Tests
{
    private const string BookSample = "\"It's the last he painted, you know,\" \n           Mrs. Gisburn said with pardonable pride.";

    private static SimpleTokenizerV1 VerdictTokenizer() =>
        new(new Vocabulary(TextSplitter.Split(TestData.Text("the-verdict"))));

    [Fact]
    public void Encode_BookSample_GivesTheBooksIds()
    {
        VerdictTokenizer().Encode(BookSample).Should().Equal(
            1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754, 793, 7);
    }

    [Fact]
    public void Decode_RemovesSpacesBeforePunctuation_LikeTheBook()
    {
        var tokenizer = VerdictTokenizer();

        tokenizer.Decode(tokenizer.Encode(BookSample))
            .Should().Be("\" It' s the last he painted, you know,\" Mrs. Gisburn said with pardonable pride.");
    }

    [Fact]
    public void Encode_Throws_NamingTheUnknownWord_AndSuggestingV2()
    {
        var act = () => VerdictTokenizer().Encode("Hello, do you like tea?");

        act.Should().Throw<ArgumentException>()
            .WithParameterName("text")
            .WithMessage("*'Hello'*not in the vocabulary*SimpleTokenizerV2*");
    }

    [Fact]
    public void Decode_Throws_OnAnIdOutsideTheVocabulary()
    {
        var act = () => VerdictTokenizer().Decode([1, 5000]);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*5000*");
    }

    [Fact]
    public void EncodeOfEmptyText_IsEmpty()
    {
        VerdictTokenizer().Encode("").Should().BeEmpty();
    }
}
