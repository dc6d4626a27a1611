using LlmFromScratch.Text;

namespace LlmFromScratch.Tests.Text;

public class SimpleTokenizerV2Tests
{
    private const string BookText = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of the palace.";

    private static SimpleTokenizerV2 VerdictTokenizer() =>
        new(new Vocabulary(TextSplitter.Split(TestData.Text("the-verdict")), withSpecialTokens: true));

    [Fact]
    public void Encode_BookText_MapsUnknownWordsToUnk_AndKeepsEndOfText()
    {
        VerdictTokenizer().Encode(BookText).Should().Equal(
            1131, 5, 355, 1126, 628, 975, 10, 1130, 55, 988, 956, 984, 722, 988, 1131, 7);
    }

    [Fact]
    public void Decode_BookText_ShowsUnk_LikeTheBook()
    {
        var tokenizer = VerdictTokenizer();

        tokenizer.Decode(tokenizer.Encode(BookText))
            .Should().Be("<|unk|>, do you like tea? <|endoftext|> In the sunlit terraces of the <|unk|>.");
    }

    [Fact]
    public void Decode_AlsoRemovesSpacesBeforeColonAndSemicolon()
    {
        var tokenizer = VerdictTokenizer();

        tokenizer.Decode(tokenizer.Encode("he said: no; Jack")).Should().Be("he said: no; Jack");
    }

    [Fact]
    public void Encode_MapsKoreanWordsToUnk()
    {
        var tokenizer = VerdictTokenizer();

        tokenizer.Encode("안녕하세요, Jack.").Should().Equal(1131, 5, tokenizer.Vocabulary["Jack"], 7);
    }

    [Fact]
    public void Constructor_Throws_WhenTheVocabularyHasNoUnk()
    {
        var act = () => new SimpleTokenizerV2(new Vocabulary(["a", "b"]));

        act.Should().Throw<ArgumentException>().WithParameterName("vocab").WithMessage("*<|unk|>*withSpecialTokens*");
    }
}
