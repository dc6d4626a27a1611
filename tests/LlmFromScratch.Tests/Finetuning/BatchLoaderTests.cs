using LlmFromScratch.Finetuning;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Finetuning;

public class BatchLoaderTests
{
    private static (Tensor, Tensor) Collate(IReadOnlyList<int> indices)
    {
        var ids = indices.Select(i => (long)i).ToArray();
        return (tensor(ids), tensor(ids));
    }

    [Theory]
    [InlineData(1045, true, 130)]
    [InlineData(149, false, 19)]
    [InlineData(300, false, 38)]
    [InlineData(1045, false, 131)]
    [InlineData(0, false, 0)]
    public void Count_MatchesTheBooksBatchCounts_ForBatchSize8(int examples, bool dropLast, int batches)
    {
        var loader = new BatchLoader(examples, 8, Collate, dropLast: dropLast);

        loader.Count.Should().Be(batches);
        loader.NextEpochIndices().Should().HaveCount(batches);
    }

    [Fact]
    public void Enumerate_WithoutShuffle_GivesIndicesInOrder_AndAShortLastBatch()
    {
        var loader = new BatchLoader(7, 3, Collate);

        var batches = loader.Select(b => b.Inputs.data<long>().ToArray()).ToList();

        batches.Should().HaveCount(3);
        batches[0].Should().Equal(0, 1, 2);
        batches[1].Should().Equal(3, 4, 5);
        batches[2].Should().Equal(6);
    }

    [Fact]
    public void Shuffle_IsReproducible_AndDrawsANewOrderEachEpoch()
    {
        var a = new BatchLoader(20, 4, Collate, shuffle: true, seed: 7);
        var b = new BatchLoader(20, 4, Collate, shuffle: true, seed: 7);

        var a1 = a.NextEpochIndices().SelectMany(x => x).ToList();
        var a2 = a.NextEpochIndices().SelectMany(x => x).ToList();
        var b1 = b.NextEpochIndices().SelectMany(x => x).ToList();

        a1.Should().Equal(b1);
        a1.Should().NotEqual(a2);
        a1.Should().BeEquivalentTo(Enumerable.Range(0, 20));
    }

    [Fact]
    public void DropLast_LeavesOutTheShortBatch()
    {
        var loader = new BatchLoader(10, 4, Collate, shuffle: true, dropLast: true);

        loader.NextEpochIndices().Select(x => x.Length).Should().Equal(4, 4);
    }

    [Fact]
    public void Constructor_Throws_ForBatchSizeZero()
    {
        var act = () => new BatchLoader(10, 0, Collate);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("batchSize");
    }
}
