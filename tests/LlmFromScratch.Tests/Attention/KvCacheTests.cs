using LlmFromScratch.Attention;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Attention;

public class KvCacheTests
{
    [Fact]
    public void Constructor_MakesOneLayerCachePerBlock_AllEmpty()
    {
        using var cache = new KvCache(layerCount: 3, capacity: 8);

        cache.Layers.Should().HaveCount(3);
        cache.Layers.Should().AllSatisfy(l => l.Capacity.Should().Be(8));
        cache.Length.Should().Be(0);
    }

    [Fact]
    public void Reset_EmptiesEveryLayer()
    {
        using var cache = new KvCache(layerCount: 2, capacity: 8);
        foreach (var layer in cache.Layers) layer.Append(randn(1, 1, 3, 2), randn(1, 1, 3, 2));
        cache.Length.Should().Be(3);

        cache.Reset();

        cache.Layers.Should().AllSatisfy(l => l.Length.Should().Be(0));
    }

    [Theory]
    [InlineData(0, 8)]
    [InlineData(2, 0)]
    public void Constructor_Throws_ForNonPositiveSizes(int layers, int capacity)
    {
        var act = () => new KvCache(layers, capacity);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
