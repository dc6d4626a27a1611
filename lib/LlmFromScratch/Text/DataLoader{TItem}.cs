using System.Collections;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Text;

/// <summary>
/// Groups a dataset's items into batches, like PyTorch's <c>DataLoader</c> (section 2.6): optional shuffling,
/// optional dropping of a last, smaller batch, and a collate function that turns a list of items into one
/// (inputs, targets) pair of tensors. Nothing here is GPT-specific: chapter 2 batches sliding windows, chapters 6
/// and 7 batch labelled and padded examples with their own item types and collate functions.
/// </summary>
/// <typeparam name="TItem">One example, e.g. <c>(Tensor Input, Tensor Target)</c> for <see cref="GptDatasetV1"/>.</typeparam>
/// <remarks>
/// <para><b>Who disposes what.</b> Tensors that items or the collate function create while a batch is built
/// are disposed by the loader before the batch is handed out. The batch's two tensors belong to the caller: they
/// are made when the enumerator advances and join the dispose scope that is innermost at that moment, like any
/// other new tensor. A step scope opened inside the <c>foreach</c> body starts after the batch exists, so it does
/// not own the batch; open a scope around the loop (one per epoch, as TorchSharp's memory guide suggests), or
/// attach the batch to the step's scope:</para>
/// <code>
/// foreach (var (inputs, targets) in loader)
/// {
///     using var step = torch.NewDisposeScope();
///     step.Attach(inputs);  // the batch now dies with the step's temporaries
///     step.Attach(targets);
///     ...
/// }
/// </code>
/// <para><b>Shuffling.</b> With <c>shuffle</c> on, each pass over the loader draws a new permutation from a
/// <see cref="Random"/> seeded once in the constructor, so two loaders built with the same seed give the same
/// sequence of epochs and a different seed gives a different one. PyTorch draws its permutation from libtorch's
/// global generator (after drawing worker seeds from it), so the book's shuffled batches cannot be reproduced
/// exactly; unshuffled batches match the book's.</para>
/// <para>A loader is not thread-safe: enumerate it from one thread at a time.</para>
/// </remarks>
public sealed class DataLoader<TItem> : IEnumerable<(Tensor Inputs, Tensor Targets)>
{
    private readonly IReadOnlyList<TItem> _dataset;
    private readonly Func<IReadOnlyList<TItem>, (Tensor Inputs, Tensor Targets)> _collate;
    private readonly Random _random;

    /// <summary>Creates a loader over <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The items; read by index, never copied.</param>
    /// <param name="batchSize">Items per batch, ≥ 1.</param>
    /// <param name="collate">Turns the items of one batch into (inputs, targets), e.g. <see cref="DataLoader.StackPairs"/>.</param>
    /// <param name="shuffle">Visit the items in a new random order on every pass.</param>
    /// <param name="dropLast">Skip a last batch smaller than <paramref name="batchSize"/>.</param>
    /// <param name="seed">Seeds the shuffling; ignored when <paramref name="shuffle"/> is false.</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> or <paramref name="collate"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The loader would yield no batch at all (empty dataset, or fewer items than one batch with <paramref name="dropLast"/>).</exception>
    public DataLoader(
        IReadOnlyList<TItem> dataset,
        int batchSize,
        Func<IReadOnlyList<TItem>, (Tensor Inputs, Tensor Targets)> collate,
        bool shuffle = false,
        bool dropLast = false,
        int seed = 123)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(collate);
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batchSize must be at least 1; got {batchSize}.");
        if (dataset.Count == 0)
            throw new ArgumentException("The dataset is empty, so the loader would yield no batches.", nameof(dataset));
        if (dropLast && dataset.Count < batchSize)
            throw new ArgumentException(
                $"The dataset has {dataset.Count} items, fewer than one batch of {batchSize}, and dropLast is on, " +
                "so the loader would yield no batches. Use a smaller batchSize, more data, or dropLast: false.", nameof(dataset));

        _dataset = dataset;
        _collate = collate;
        _random = new Random(seed);
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Seed = seed;
    }

    /// <summary>The items being batched.</summary>
    public IReadOnlyList<TItem> Dataset => _dataset;

    /// <summary>Items per batch (the last batch may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each pass visits the items in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last, smaller batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>The seed of the shuffling.</summary>
    public int Seed { get; }

    /// <summary>Batches per pass: ⌊items / BatchSize⌋ with <see cref="DropLast"/>, else ⌈items / BatchSize⌉ (PyTorch's <c>len(loader)</c>).</summary>
    public int Count => DropLast ? _dataset.Count / BatchSize : (_dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>
    /// One pass over the data: each element is one batch as (inputs, targets); with <see cref="DataLoader.StackPairs"/>
    /// over <see cref="GptDatasetV1"/> both are int64 tensors of shape (batch, maxLength). See the remarks for who disposes them.
    /// </summary>
    public IEnumerator<(Tensor Inputs, Tensor Targets)> GetEnumerator()
    {
        var order = NextOrder();
        for (var batch = 0; batch < Count; batch++)
        {
            var start = batch * BatchSize;
            yield return Collate(order, start, Math.Min(BatchSize, order.Length - start));
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int[] NextOrder()
    {
        var order = Enumerable.Range(0, _dataset.Count).ToArray();
        if (Shuffle) _random.Shuffle(order);
        return order;
    }

    private (Tensor Inputs, Tensor Targets) Collate(int[] order, int start, int count)
    {
        // Item tensors and collate temporaries die here; only the batch leaves, into the caller's scope.
        using var scope = torch.NewDisposeScope();
        var items = new TItem[count];
        for (var i = 0; i < count; i++) items[i] = _dataset[order[start + i]];
        var (inputs, targets) = _collate(items);
        return scope.MoveToOuter(inputs, targets);
    }
}
