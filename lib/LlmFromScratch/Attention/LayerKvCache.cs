using static TorchSharp.torch;

namespace LlmFromScratch.Attention;

/// <summary>
/// The keys and values one attention layer has already computed, so that generating the next token only
/// projects that token instead of the whole sequence again. Storage is allocated once, for
/// <see cref="Capacity"/> positions, on the first <see cref="Append"/>; later appends write into it in place.
/// </summary>
/// <remarks>For inference (under <c>torch.no_grad()</c>). Owns its storage: dispose it, or the
/// <see cref="KvCache"/> that holds it.</remarks>
public sealed class LayerKvCache : IDisposable
{
    private Tensor? _keys;   // (b, nHeads, Capacity, headDim)
    private Tensor? _values; // (b, nHeads, Capacity, headDim)

    /// <param name="capacity">Most positions the cache can hold (the model's context length).</param>
    public LayerKvCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    /// <summary>Most positions the cache can hold.</summary>
    public int Capacity { get; }

    /// <summary>Positions cached so far; also the absolute position of the next token appended.</summary>
    public int Length { get; private set; }

    /// <summary>
    /// Stores the new keys and values after the cached ones and returns all of them.
    /// </summary>
    /// <param name="keys">New keys, shape (b, nHeads, t, headDim).</param>
    /// <param name="values">New values, same shape as <paramref name="keys"/>.</param>
    /// <returns>Views of every cached key and value, each (b, nHeads, Length, headDim), Length counting the new ones.</returns>
    /// <exception cref="ArgumentException">The shapes differ from each other or from what is cached, or the
    /// cache would exceed <see cref="Capacity"/>.</exception>
    public (Tensor Keys, Tensor Values) Append(Tensor keys, Tensor values)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(values);
        if (keys.dim() != 4 || !keys.shape.SequenceEqual(values.shape))
            throw new ArgumentException(
                $"keys and values must both be (b, nHeads, t, headDim); got [{string.Join(", ", keys.shape)}] and [{string.Join(", ", values.shape)}]",
                nameof(keys));
        var t = (int)keys.shape[2];
        if (Length + t > Capacity)
            throw new ArgumentException(
                $"appending {t} positions to {Length} cached exceeds the cache capacity {Capacity}", nameof(keys));
        if (_keys is null || _values is null)
        {
            var shape = new[] { keys.shape[0], keys.shape[1], Capacity, keys.shape[3] };
            _keys = zeros(shape, keys.dtype, keys.device).DetachFromDisposeScope();
            _values = zeros(shape, values.dtype, values.device).DetachFromDisposeScope();
        }
        else if (_keys.shape[0] != keys.shape[0] || _keys.shape[1] != keys.shape[1] || _keys.shape[3] != keys.shape[3])
        {
            throw new ArgumentException(
                $"new keys [{string.Join(", ", keys.shape)}] do not match the cached [{string.Join(", ", _keys.shape)}] in batch, heads or head size; Reset() is not enough, use a new cache",
                nameof(keys));
        }
        using (var keySlot = _keys.narrow(2, Length, t)) keySlot.copy_(keys);
        using (var valueSlot = _values.narrow(2, Length, t)) valueSlot.copy_(values);
        Length += t;
        return (_keys.narrow(2, 0, Length), _values.narrow(2, 0, Length));
    }

    /// <summary>Forgets the cached positions; the storage is kept for reuse.</summary>
    public void Reset() => Length = 0;

    /// <summary>Frees the storage.</summary>
    public void Dispose()
    {
        _keys?.Dispose();
        _values?.Dispose();
        _keys = _values = null;
        Length = 0;
    }
}
