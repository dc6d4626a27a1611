using LlmFromScratch.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Text;

public class GenericDataLoaderTests
{
    // Ten items whose inputs are [i, i] and targets [i + 100]: a batch's first column is the item order.
    private static readonly (Tensor Input, Tensor Target)[] NoItems = [];

    private sealed class Numbered(int count) : List<int>(Enumerable.Range(0, count));

    private static (Tensor Inputs, Tensor Targets) CollateNumbers(IReadOnlyList<int> items)
    {
        var ids = items.Select(i => (long)i).ToArray();
        var inputs = torch.tensor(ids).unsqueeze(1).repeat(1, 2); // (n, 2)
        var targets = torch.tensor(ids) + 100;                     // (n)
        return (inputs, targets);
    }

    private static List<long[]> Orders(DataLoader<int> loader, int epochs)
    {
        using var scope = torch.NewDisposeScope();
        var orders = new List<long[]>();
        for (var e = 0; e < epochs; e++)
            orders.Add(loader.SelectMany(b => b.Inputs[.., 0].data<long>().ToArray()).ToArray());
        return orders;
    }

    [Fact]
    public void WithoutShuffle_VisitsItemsInOrder_AndKeepsTheLastPartialBatch()
    {
        var loader = new DataLoader<int>(new Numbered(10), batchSize: 4, CollateNumbers);

        using var scope = torch.NewDisposeScope();
        var batches = loader.ToList();

        loader.Count.Should().Be(3);
        batches.Select(b => b.Inputs.shape[0]).Should().Equal(4, 4, 2);
        batches[2].Inputs.shape.Should().Equal(2, 2);
        batches[2].Targets.data<long>().ToArray().Should().Equal(108, 109);
        Orders(loader, 1)[0].Should().Equal(Enumerable.Range(0, 10).Select(i => (long)i));
    }

    [Theory]
    [InlineData(10, 4, true, 2)]
    [InlineData(10, 4, false, 3)]
    [InlineData(8, 4, true, 2)]
    [InlineData(8, 4, false, 2)]
    [InlineData(3, 4, false, 1)]
    public void Count_MatchesTheBatchesYielded_WithAndWithoutDropLast(int items, int batchSize, bool dropLast, int expected)
    {
        var loader = new DataLoader<int>(new Numbered(items), batchSize, CollateNumbers, dropLast: dropLast);

        using var scope = torch.NewDisposeScope();
        loader.Count.Should().Be(expected);
        loader.ToList().Should().HaveCount(expected);
        loader.ToList().Should().OnlyContain(b => !dropLast || b.Inputs.shape[0] == batchSize);
    }

    [Fact]
    public void Shuffle_WithTheSameSeed_GivesTheSameOrders_EpochByEpoch()
    {
        var a = Orders(new DataLoader<int>(new Numbered(20), 4, CollateNumbers, shuffle: true, seed: 7), epochs: 2);
        var b = Orders(new DataLoader<int>(new Numbered(20), 4, CollateNumbers, shuffle: true, seed: 7), epochs: 2);

        a[0].Should().Equal(b[0]);
        a[1].Should().Equal(b[1]);
        a[0].Should().BeEquivalentTo(Enumerable.Range(0, 20).Select(i => (long)i), "a shuffle visits every item once");
        a[0].Should().NotEqual(Enumerable.Range(0, 20).Select(i => (long)i));
        a[1].Should().NotEqual(a[0], "each epoch draws a new permutation");
    }

    [Fact]
    public void Shuffle_WithADifferentSeed_GivesADifferentOrder()
    {
        var a = Orders(new DataLoader<int>(new Numbered(20), 4, CollateNumbers, shuffle: true, seed: 7), epochs: 1);
        var b = Orders(new DataLoader<int>(new Numbered(20), 4, CollateNumbers, shuffle: true, seed: 8), epochs: 1);

        a[0].Should().NotEqual(b[0]);
    }

    [Fact]
    public void Shuffle_WithDropLast_DropsARandomRemainder_NotAlwaysTheSameItems()
    {
        var loader = new DataLoader<int>(new Numbered(10), 4, CollateNumbers, shuffle: true, dropLast: true, seed: 1);

        var epochs = Orders(loader, epochs: 5);

        epochs.Should().OnlyContain(order => order.Length == 8);
        epochs.SelectMany(o => o).Distinct().Count().Should().BeGreaterThan(8);
    }

    [Fact]
    public void Enumerating_InsideADisposeScope_LeavesNoLiveTensorsAfterwards()
    {
        var dataset = new GptDatasetV1(Enumerable.Range(0, 200).ToArray(), maxLength: 8, stride: 4);
        var loader = DataLoader.Create(dataset, batchSize: 4, shuffle: true);
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        using (var epoch = torch.NewDisposeScope())
        {
            foreach (var (inputs, targets) in loader)
            {
                using var step = torch.NewDisposeScope();
                using var sum = inputs + targets;
            }
            // Item tensors die while each batch is built; only the batches (2 tensors each) stay, in the epoch scope.
            epoch.DisposablesCount.Should().Be(2 * loader.Count);
        }

        DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before);
    }

    [Fact]
    public void AttachingTheBatchToTheStepScope_FreesItWithTheStep()
    {
        var dataset = new GptDatasetV1(Enumerable.Range(0, 200).ToArray(), maxLength: 8, stride: 4);
        var loader = DataLoader.Create(dataset, batchSize: 4);
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        foreach (var (inputs, targets) in loader)
        {
            using var step = torch.NewDisposeScope();
            step.Attach(inputs);
            step.Attach(targets);
            using var sum = inputs + targets;
        }

        DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before);
    }

    [Fact]
    public void Constructor_Throws_WhenBatchSizeIsNotPositive()
    {
        var act = () => new DataLoader<int>(new Numbered(10), 0, CollateNumbers);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("batchSize").WithMessage("*at least 1*0*");
    }

    [Fact]
    public void Constructor_Throws_WhenDropLastWouldLeaveNoBatch()
    {
        var act = () => new DataLoader<int>(new Numbered(3), 4, CollateNumbers, dropLast: true);

        act.Should().Throw<ArgumentException>().WithParameterName("dataset").WithMessage("*3 items*batch of 4*dropLast*");
    }

    [Fact]
    public void Constructor_Throws_WhenTheDatasetIsEmpty()
    {
        var act = () => DataLoader.Create(NoItems, 4);

        act.Should().Throw<ArgumentException>().WithParameterName("dataset").WithMessage("*empty*");
    }
}
