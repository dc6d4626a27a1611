using LlmFromScratch.Text;

namespace LlmFromScratch.Tests.Text;

public class VocabularyTests
{
    private static string[] VerdictTokens() => TextSplitter.Split(TestData.Text("the-verdict"));

    [Fact]
    public void TheVerdict_Has1130DistinctTokens()
    {
        new Vocabulary(VerdictTokens()).Count.Should().Be(1130);
    }

    [Fact]
    public void WithSpecialTokens_Appends_EndOfText_And_Unknown_Giving1132()
    {
        var vocab = new Vocabulary(VerdictTokens(), withSpecialTokens: true);

        vocab.Count.Should().Be(1132);
        vocab.Skip(1127).Should().Equal(
            new KeyValuePair<string, int>("younger", 1127),
            new KeyValuePair<string, int>("your", 1128),
            new KeyValuePair<string, int>("yourself", 1129),
            new KeyValuePair<string, int>("<|endoftext|>", 1130),
            new KeyValuePair<string, int>("<|unk|>", 1131));
    }

    [Fact]
    public void Ids_FollowOrdinalSortOrder_LikePythonSorted()
    {
        var vocab = new Vocabulary(VerdictTokens());

        vocab.Tokens.Take(13).Should().Equal("!", "\"", "'", "(", ")", ",", "--", ".", ":", ";", "?", "A", "Ah");
        vocab["HAD"].Should().Be(44);
        vocab["Hermia"].Should().Be(50);
    }

    [Fact]
    public void TokenToIdAndBack_RoundTrips()
    {
        var vocab = new Vocabulary(VerdictTokens());

        foreach (var (token, id) in vocab)
        {
            vocab.GetToken(id).Should().Be(token);
            vocab[token].Should().Be(id);
        }
    }

    [Fact]
    public void SpecialTokensInTheText_AreNotCountedTwice()
    {
        var vocab = new Vocabulary(["b", "<|endoftext|>", "a"], withSpecialTokens: true);

        vocab.Tokens.Should().Equal("a", "b", "<|endoftext|>", "<|unk|>");
    }

    [Fact]
    public void Indexer_Throws_NamingTheMissingToken()
    {
        var vocab = new Vocabulary(["a", "b"]);

        var act = () => vocab["palace"];

        act.Should().Throw<KeyNotFoundException>().WithMessage("*'palace'*2 tokens*");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    public void GetToken_Throws_WhenIdIsOutOfRange(int id)
    {
        var vocab = new Vocabulary(["a", "b"]);

        var act = () => vocab.GetToken(id);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("id").WithMessage($"*{id}*[0, 2)*");
    }

    [Fact]
    public void Constructor_Throws_OnAnEmptyToken()
    {
        var act = () => new Vocabulary(["a", ""]);

        act.Should().Throw<ArgumentException>().WithParameterName("tokens");
    }
}
