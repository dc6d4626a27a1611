using LlmFromScratch.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Text;

public class DataLoaderTests
{
    private static long[][] Rows(Tensor t) =>
        Enumerable.Range(0, (int)t.shape[0]).Select(i => t[i].data<long>().ToArray()).ToArray();

    [Fact]
    public void CreateDataloaderV1_BatchOne_StrideOne_GivesTheBooksFirstTwoBatches()
    {
        using var scope = torch.NewDisposeScope();
        var loader = DataLoader.CreateDataloaderV1(TestData.Text("the-verdict"), batchSize: 1, maxLength: 4, stride: 1, shuffle: false);

        using var batches = loader.GetEnumerator();
        batches.MoveNext().Should().BeTrue();
        var (inputs1, targets1) = batches.Current;
        batches.MoveNext().Should().BeTrue();
        var (inputs2, targets2) = batches.Current;

        inputs1.shape.Should().Equal(1, 4);
        inputs1.dtype.Should().Be(ScalarType.Int64);
        Rows(inputs1).Should().BeEquivalentTo(new[] { new long[] { 40, 367, 2885, 1464 } }, o => o.WithStrictOrdering());
        Rows(targets1).Should().BeEquivalentTo(new[] { new long[] { 367, 2885, 1464, 1807 } }, o => o.WithStrictOrdering());
        Rows(inputs2).Should().BeEquivalentTo(new[] { new long[] { 367, 2885, 1464, 1807 } }, o => o.WithStrictOrdering());
        Rows(targets2).Should().BeEquivalentTo(new[] { new long[] { 2885, 1464, 1807, 3619 } }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void CreateDataloaderV1_BatchEight_StrideFour_GivesTheBooksFirstBatch()
    {
        using var scope = torch.NewDisposeScope();
        var loader = DataLoader.CreateDataloaderV1(TestData.Text("the-verdict"), batchSize: 8, maxLength: 4, stride: 4, shuffle: false);

        var (inputs, targets) = loader.First();

        inputs.shape.Should().Equal(8, 4);
        targets.shape.Should().Equal(8, 4);
        Rows(inputs)[1].Should().Equal(1807, 3619, 402, 271);
        Rows(inputs)[7].Should().Equal(284, 3285, 326, 11);
        Rows(targets)[7].Should().Equal(3285, 326, 11, 287);
    }

    [Fact]
    public void CreateDataloaderV1_BooksDefaults_Give9BatchesOf4x256()
    {
        using var scope = torch.NewDisposeScope();
        var loader = DataLoader.CreateDataloaderV1(TestData.Text("the-verdict"));

        var shapes = loader.Select(b => (b.Inputs.shape, b.Targets.shape)).ToList();

        loader.Count.Should().Be(9); // 39 windows, drop_last
        shapes.Should().HaveCount(9);
        shapes.Should().OnlyContain(s => s.Item1.SequenceEqual(new long[] { 4, 256 }) && s.Item2.SequenceEqual(new long[] { 4, 256 }));
    }

    [Fact]
    public void CreateDataloaderV1_Throws_WhenTextIsShorterThanOneWindow()
    {
        var act = () => DataLoader.CreateDataloaderV1("Hello, world", maxLength: 256);

        act.Should().Throw<ArgumentException>().WithMessage("*3 tokens*257*");
    }

    [Fact]
    public void StackPairs_AddsABatchDimension()
    {
        using var scope = torch.NewDisposeScope();
        var items = new[] { (torch.arange(3L), torch.arange(1L, 4L)), (torch.arange(3L, 6L), torch.arange(4L, 7L)) };

        var (inputs, targets) = DataLoader.StackPairs(items);

        inputs.shape.Should().Equal(2, 3);
        Rows(inputs)[1].Should().Equal(3, 4, 5);
        Rows(targets)[0].Should().Equal(1, 2, 3);
    }

    [Fact]
    public void StackPairs_Throws_WhenShapesDiffer_NamingBoth()
    {
        using var scope = torch.NewDisposeScope();
        var items = new[] { (torch.arange(3L), torch.arange(3L)), (torch.arange(4L), torch.arange(4L)) };

        var act = () => DataLoader.StackPairs(items);

        act.Should().Throw<ArgumentException>().WithMessage("*Item 1*(4)*(3)*collate*");
    }
}
