namespace LlmFromScratch.Attention;

/// <summary>
/// Chapter 4 extension: one <see cref="LayerKvCache"/> per transformer block, passed to a GPT model's cached
/// forward. All layers advance together, so <see cref="Length"/> is the absolute position of the next token
/// (the offset for the positional embedding).
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly LayerKvCache[] _layers;

    /// <param name="layerCount">Number of transformer blocks.</param>
    /// <param name="capacity">Most positions each layer can hold (the context length).</param>
    public KvCache(int layerCount, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layerCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _layers = Enumerable.Range(0, layerCount).Select(_ => new LayerKvCache(capacity)).ToArray();
        Capacity = capacity;
    }

    /// <summary>One cache per transformer block, in block order.</summary>
    public IReadOnlyList<LayerKvCache> Layers => _layers;

    /// <summary>Most positions the cache can hold.</summary>
    public int Capacity { get; }

    /// <summary>Positions cached so far (all layers hold the same number).</summary>
    public int Length => _layers[0].Length;

    /// <summary>Forgets every cached position, keeping the storage.</summary>
    public void Reset()
    {
        foreach (var layer in _layers) layer.Reset();
    }

    /// <summary>Frees every layer's storage.</summary>
    public void Dispose()
    {
        foreach (var layer in _layers) layer.Dispose();
    }
}
