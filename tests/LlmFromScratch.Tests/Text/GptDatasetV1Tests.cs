using LlmFromScratch.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Text;

public class GptDatasetV1Tests
{
    [Fact]
    public void FirstWindows_OfTheVerdict_MatchTheBook()
    {
        var dataset = new GptDatasetV1(TestData.Text("the-verdict"), new Gpt2Tokenizer(), maxLength: 4, stride: 1);

        var (input0, target0) = dataset[0];
        var (input1, target1) = dataset[1];

        input0.data<long>().ToArray().Should().Equal(40, 367, 2885, 1464);
        target0.data<long>().ToArray().Should().Equal(367, 2885, 1464, 1807);
        input1.data<long>().ToArray().Should().Equal(367, 2885, 1464, 1807);
        target1.data<long>().ToArray().Should().Equal(2885, 1464, 1807, 3619);
        input0.dtype.Should().Be(ScalarType.Int64);
        input0.shape.Should().Equal(4);
        foreach (var t in new[] { input0, target0, input1, target1 }) t.Dispose();
    }

    [Theory]
    [InlineData(4, 1, 5141)]   // range(0, 5145 - 4, 1)
    [InlineData(4, 4, 1286)]   // ceil(5141 / 4)
    [InlineData(256, 128, 39)] // the book's create_dataloader_v1 defaults
    public void Count_FollowsTheBooksRange(int maxLength, int stride, int expected)
    {
        var dataset = new GptDatasetV1(TestData.Text("the-verdict"), new Gpt2Tokenizer(), maxLength, stride);

        dataset.TokenCount.Should().Be(5145);
        dataset.Count.Should().Be(expected);
    }

    [Fact]
    public void Targets_AreInputsShiftedByOne_AndTheLastWindowEndsAtTheLastToken()
    {
        int[] ids = [10, 11, 12, 13, 14, 15, 16];
        var dataset = new GptDatasetV1(ids, maxLength: 3, stride: 2); // starts 0, 2; start 4 would need id index 7

        dataset.Count.Should().Be(2);
        var (input, target) = dataset[1];
        input.data<long>().ToArray().Should().Equal(12, 13, 14);
        target.data<long>().ToArray().Should().Equal(13, 14, 15);
        input.Dispose();
        target.Dispose();
    }

    [Fact]
    public void ExactlyMaxLengthPlusOneTokens_GiveOneWindow()
    {
        new GptDatasetV1([1, 2, 3, 4, 5], maxLength: 4, stride: 1).Count.Should().Be(1);
    }

    [Fact]
    public void Constructor_Throws_WhenTextIsShorterThanOneWindow_SayingHowManyTokensItHasAndNeeds()
    {
        var act = () => new GptDatasetV1("Hello, world", new Gpt2Tokenizer(), maxLength: 4, stride: 1);

        act.Should().Throw<ArgumentException>().WithParameterName("text").WithMessage("*has 3 tokens*maxLength 4*at least 5*");
    }

    [Fact]
    public void Constructor_Throws_WhenTextIsEmpty()
    {
        var act = () => new GptDatasetV1("", new Gpt2Tokenizer(), maxLength: 4, stride: 1);

        act.Should().Throw<ArgumentException>().WithParameterName("text").WithMessage("*empty*");
    }

    [Theory]
    [InlineData(0, 1, "maxLength")]
    [InlineData(-3, 1, "maxLength")]
    [InlineData(4, 0, "stride")]
    [InlineData(4, -1, "stride")]
    public void Constructor_Throws_WhenMaxLengthOrStrideIsNotPositive(int maxLength, int stride, string parameter)
    {
        var act = () => new GptDatasetV1(TestData.Text("the-verdict"), new Gpt2Tokenizer(), maxLength, stride);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(parameter);
    }

    [Fact]
    public void Indexer_Throws_OutsideTheWindows()
    {
        var dataset = new GptDatasetV1([1, 2, 3, 4, 5], maxLength: 4, stride: 1);

        var act = () => dataset[1];

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("index").WithMessage("*[0, 1)*");
    }
}
