using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Text;

/// <summary>
/// Ready-made loaders: <see cref="CreateDataloaderV1"/> is the book's <c>create_dataloader_v1</c> (section 2.6), and
/// <see cref="Create"/> batches any dataset of (input, target) tensor pairs by stacking them.
/// </summary>
public static class DataLoader
{
    /// <summary>
    /// The book's <c>create_dataloader_v1</c>: GPT-2-tokenizes <paramref name="text"/>, cuts it into a
    /// <see cref="GptDatasetV1"/> and batches it. Each batch is (inputs, targets), int64 tensors of shape
    /// (batchSize, maxLength) (the last one smaller when <paramref name="dropLast"/> is false).
    /// </summary>
    /// <param name="text">The training text.</param>
    /// <param name="batchSize">Windows per batch, ≥ 1.</param>
    /// <param name="maxLength">Tokens per window (the context length), ≥ 1.</param>
    /// <param name="stride">Tokens between window starts, ≥ 1.</param>
    /// <param name="shuffle">New random window order on every pass (not PyTorch's order; see <see cref="DataLoader{TItem}"/>).</param>
    /// <param name="dropLast">Skip a last, smaller batch.</param>
    /// <param name="seed">Seeds the shuffling.</param>
    /// <exception cref="ArgumentException">The text is empty, shorter than one window, or too short for one batch with <paramref name="dropLast"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/>, <paramref name="maxLength"/> or <paramref name="stride"/> is not positive.</exception>
    public static DataLoader<(Tensor Input, Tensor Target)> CreateDataloaderV1(
        string text,
        int batchSize = 4,
        int maxLength = 256,
        int stride = 128,
        bool shuffle = true,
        bool dropLast = true,
        int seed = 123)
    {
        var dataset = new GptDatasetV1(text, new Gpt2Tokenizer(), maxLength, stride);
        return Create(dataset, batchSize, shuffle, dropLast, seed);
    }

    /// <summary>A loader that batches (input, target) tensor pairs with <see cref="StackPairs"/>.</summary>
    /// <param name="dataset">Items whose inputs all share one shape, and whose targets all share one shape.</param>
    /// <param name="batchSize">Items per batch, ≥ 1.</param>
    /// <param name="shuffle">New random order on every pass.</param>
    /// <param name="dropLast">Skip a last, smaller batch.</param>
    /// <param name="seed">Seeds the shuffling.</param>
    /// <inheritdoc cref="DataLoader{TItem}.DataLoader" path="/exception"/>
    public static DataLoader<(Tensor Input, Tensor Target)> Create(
        IReadOnlyList<(Tensor Input, Tensor Target)> dataset,
        int batchSize,
        bool shuffle = false,
        bool dropLast = false,
        int seed = 123) =>
        new(dataset, batchSize, StackPairs, shuffle, dropLast, seed);

    /// <summary>
    /// The default collate: stacks the items' inputs into one tensor and their targets into another, adding a
    /// leading batch dimension: n items of shape (t) → (n, t). The item tensors are left to the caller.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="items"/> is empty, or the items' shapes differ.</exception>
    public static (Tensor Inputs, Tensor Targets) StackPairs(IReadOnlyList<(Tensor Input, Tensor Target)> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0) throw new ArgumentException("Cannot stack an empty batch.", nameof(items));
        var first = items[0];
        for (var i = 1; i < items.Count; i++)
        {
            if (!items[i].Input.shape.SequenceEqual(first.Input.shape) || !items[i].Target.shape.SequenceEqual(first.Target.shape))
                throw new ArgumentException(
                    $"Item {i} has input shape ({string.Join(", ", items[i].Input.shape)}) and target shape ({string.Join(", ", items[i].Target.shape)}), " +
                    $"but item 0 has ({string.Join(", ", first.Input.shape)}) and ({string.Join(", ", first.Target.shape)}); " +
                    "stacking needs equal shapes (pad the items, or pass your own collate function).", nameof(items));
        }
        var inputs = torch.stack(items.Select(item => item.Input).ToArray());   // (n, t)
        var targets = torch.stack(items.Select(item => item.Target).ToArray()); // (n, t)
        return (inputs, targets);
    }
}
