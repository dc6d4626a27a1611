using LlmFromScratch.Text;

namespace LlmFromScratch.Tests.Text;

public class Gpt2TokenizerTests
{
    private readonly Gpt2Tokenizer _tokenizer = new();

    [Fact]
    public void TheVerdict_Has5145Gpt2Tokens()
    {
        _tokenizer.Encode(TestData.Text("the-verdict")).Should().HaveCount(5145);
    }

    [Fact]
    public void Encode_ReadsEndOfTextAsTheSpecialToken50256()
    {
        var ids = _tokenizer.Encode("Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace.");

        ids.Should().Equal(15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114, 286, 617, 34680, 27271, 13);
    }

    [Fact]
    public void Encode_BooksExactText_WithTerracesofRunTogether()
    {
        // The book's string literal concatenates "...terraces" "of someunknownPlace." without a space.
        var ids = _tokenizer.Encode("Hello, do you like tea? <|endoftext|> In the sunlit terraces" + "of someunknownPlace.");

        ids.Should().Equal(15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114, 1659, 617, 34680, 27271, 13);
    }

    [Fact]
    public void EndOfTextAlone_IsOneToken()
    {
        _tokenizer.Encode(Gpt2Tokenizer.EndOfText).Should().Equal(Gpt2Tokenizer.EndOfTextId);
        Gpt2Tokenizer.EndOfTextId.Should().Be(50256);
        Gpt2Tokenizer.VocabSize.Should().Be(50257);
    }

    [Fact]
    public void Encode_Throws_OnEndOfText_WhenNotAllowed()
    {
        var act = () => _tokenizer.Encode("tea? <|endoftext|> In", allowEndOfText: false);

        act.Should().Throw<ArgumentException>().WithParameterName("text").WithMessage("*<|endoftext|>*character 5*allowEndOfText*");
    }

    [Fact]
    public void Encode_PlainText_IsTheSame_WhetherOrNotEndOfTextIsAllowed()
    {
        _tokenizer.Encode("Akwirw ier", allowEndOfText: false).Should().Equal(_tokenizer.Encode("Akwirw ier"));
    }

    [Theory]
    [InlineData("Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace.")]
    [InlineData("안녕하세요, 세계! 한국어 문장도 바이트 단위로 돌아옵니다.")]
    [InlineData("Emoji 🦙🎉👩‍👩‍👧 and accents: naïve café, Zürich, “quotes” — dashes")]
    [InlineData("  leading spaces, tabs\t, CRLF\r\nand trailing spaces   ")]
    [InlineData("Akwirw ier")]
    [InlineData("")]
    public void EncodeThenDecode_ReturnsTheTextExactly(string text)
    {
        var ids = _tokenizer.Encode(text);

        ids.Where(id => id < 0 || id >= Gpt2Tokenizer.VocabSize).Should().BeEmpty();
        _tokenizer.Decode(ids).Should().Be(text);
    }

    [Fact]
    public void Korean_NeedsSeveralByteLevelTokensPerSyllable_AndNoUnknownToken()
    {
        var ids = _tokenizer.Encode("안녕하세요");

        ids.Length.Should().BeGreaterThan(5, "five syllables of three UTF-8 bytes each are mostly not in GPT-2's merges");
        _tokenizer.Decode(ids).Should().Be("안녕하세요");
    }

    [Fact]
    public void TheVerdict_RoundTripsExactly()
    {
        var text = TestData.Text("the-verdict");

        _tokenizer.Decode(_tokenizer.Encode(text)).Should().Be(text);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(50257)]
    public void Decode_Throws_OnAnIdOutsideTheVocabulary(int id)
    {
        var act = () => _tokenizer.Decode([15496, id]);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("ids").WithMessage($"*{id}*position 1*50257*");
    }
}
