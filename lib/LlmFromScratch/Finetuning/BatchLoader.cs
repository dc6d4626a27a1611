using System.Collections;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// A minimal data loader: cuts example indices into batches (optionally shuffled, optionally dropping a short
/// last batch) and turns each batch into <c>(inputs, targets)</c> tensors with a collate function.
/// Enumerate it once per epoch; a shuffling loader draws a new order each time from its own seeded generator,
/// so a run is reproducible while the epochs differ, like PyTorch's <c>DataLoader(shuffle=True, generator=…)</c>.
/// </summary>
/// <remarks>Each batch's tensors belong to the caller: create them inside a dispose scope or dispose them.</remarks>
public sealed class BatchLoader : IReadOnlyCollection<(Tensor Inputs, Tensor Targets)>
{
    private readonly int _examples;
    private readonly Func<IReadOnlyList<int>, (Tensor Inputs, Tensor Targets)> _collate;
    private readonly torch.Generator? _generator;

    /// <param name="exampleCount">How many examples the data set has.</param>
    /// <param name="batchSize">Examples per batch.</param>
    /// <param name="collate">Builds one batch's tensors from example indices.</param>
    /// <param name="shuffle">Draw a new random order every epoch.</param>
    /// <param name="dropLast">Leave out a last batch smaller than <paramref name="batchSize"/>.</param>
    /// <param name="seed">Seeds the shuffling generator.</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative count or a batch size below 1.</exception>
    public BatchLoader(int exampleCount, int batchSize, Func<IReadOnlyList<int>, (Tensor Inputs, Tensor Targets)> collate,
        bool shuffle = false, bool dropLast = false, int seed = 123)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(exampleCount);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1");
        ArgumentNullException.ThrowIfNull(collate);
        _examples = exampleCount;
        _collate = collate;
        BatchSize = batchSize;
        DropLast = dropLast;
        if (shuffle) _generator = new torch.Generator((ulong)seed);
    }

    /// <summary>Examples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether a short last batch is left out.</summary>
    public bool DropLast { get; }

    /// <summary>Number of batches per epoch (the book's <c>len(loader)</c>): 1045 examples, batch 8, drop-last → 130.</summary>
    public int Count => DropLast ? _examples / BatchSize : (_examples + BatchSize - 1) / BatchSize;

    /// <summary>The example indices of one epoch's batches, drawing a new order when shuffling.</summary>
    public IReadOnlyList<int[]> NextEpochIndices()
    {
        int[] order;
        if (_generator is null) order = Enumerable.Range(0, _examples).ToArray();
        else
        {
            using var perm = torch.randperm(_examples, generator: _generator);
            order = perm.data<long>().Select(i => (int)i).ToArray();
        }
        return order.Chunk(BatchSize).Take(Count).ToList();
    }

    /// <summary>Yields one epoch of batches.</summary>
    public IEnumerator<(Tensor Inputs, Tensor Targets)> GetEnumerator()
    {
        foreach (var batch in NextEpochIndices()) yield return _collate(batch);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
