using LlmFromScratch.Finetuning;
using Microsoft.ML.Tokenizers;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Finetuning;

public class SpamDatasetTests
{
    // Texts are space-separated ids, so every expected tensor can be read off the input.
    private static IReadOnlyList<int> Ids(string text) => text.Split(' ').Select(int.Parse).ToArray();

    private static readonly LabeledText[] Data =
    [
        new("1 2 3", 0),
        new("4 5 6 7 8", 1),
        new("9", 0),
    ];

    [Fact]
    public void Constructor_PadsEveryTextToTheLongest()
    {
        var dataset = new SpamDataset(Data, Ids);

        dataset.MaxLength.Should().Be(5);
        dataset.TokensAt(0).Should().Equal(1, 2, 3, 50256, 50256);
        dataset.TokensAt(2).Should().Equal(9, 50256, 50256, 50256, 50256);
    }

    [Fact]
    public void Constructor_TruncatesToAGivenMaxLength()
    {
        var dataset = new SpamDataset(Data, Ids, maxLength: 2, padTokenId: 0);

        dataset.TokensAt(1).Should().Equal(4, 5);
        dataset.TokensAt(2).Should().Equal(9, 0);
    }

    [Fact]
    public void Indexer_ReturnsInt64InputAndScalarLabel()
    {
        var dataset = new SpamDataset(Data, Ids);

        var (input, label) = dataset[1];

        input.dtype.Should().Be(ScalarType.Int64);
        input.data<long>().ToArray().Should().Equal(4, 5, 6, 7, 8);
        label.shape.Should().BeEmpty();
        label.item<long>().Should().Be(1);
    }

    [Fact]
    public void Collate_StacksInputsAsBatchByTime_AndLabelsAsBatch()
    {
        var dataset = new SpamDataset(Data, Ids);

        var (inputs, labels) = dataset.Collate([2, 0]);

        inputs.shape.Should().Equal(2, 5);
        inputs.data<long>().ToArray().Should().Equal(9, 50256, 50256, 50256, 50256, 1, 2, 3, 50256, 50256);
        labels.data<long>().ToArray().Should().Equal(0, 0);
    }

    [Fact]
    public void Loaders_GiveTheBooksBatchCounts_130_19_38()
    {
        var texts = Enumerable.Range(0, 1494).Select(i => new LabeledText($"{i % 50} {i % 7}", i % 2)).ToList();
        var split = ClassificationSplits.Split(texts, 0.7, 0.1);
        var train = new SpamDataset(split.Train, Ids);
        var validation = new SpamDataset(split.Validation, Ids, maxLength: train.MaxLength);
        var test = new SpamDataset(split.Test, Ids, maxLength: train.MaxLength);

        var trainLoader = train.Loader(8, shuffle: true, dropLast: true);
        var (inputs, labels) = trainLoader.First();

        (trainLoader.Count, validation.Loader(8).Count, test.Loader(8).Count).Should().Be((130, 19, 38));
        inputs.shape.Should().Equal(8, 2);
        labels.shape.Should().Equal(8);
    }

    [Fact]
    public void Constructor_WithGpt2Tokenizer_EncodesLikeTiktoken()
    {
        var tokenizer = TiktokenTokenizer.CreateForModel("gpt2");

        var dataset = new SpamDataset([new LabeledText("Hello, world", 0), new LabeledText("Hello", 1)], tokenizer);

        dataset.TokensAt(0).Should().Equal(15496, 11, 995);
        dataset.TokensAt(1).Should().Equal(15496, 50256, 50256);
    }

    [Fact]
    public void Constructor_Throws_ForMaxLengthZero()
    {
        var act = () => new SpamDataset(Data, Ids, maxLength: 0);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxLength");
    }
}
