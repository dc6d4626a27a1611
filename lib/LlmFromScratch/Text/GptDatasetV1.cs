using System.Collections;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Text;

/// <summary>
/// The book's sliding-window dataset (section 2.6): the text's token ids cut into windows of
/// <see cref="MaxLength"/> tokens, one window every <see cref="Stride"/> tokens; each window's target is the same
/// window shifted one token to the right, so position <c>t</c> of the target is the token that follows position
/// <c>t</c> of the input.
/// </summary>
/// <remarks>
/// The ids live in a managed array and each item's tensors are made when it is read, so the dataset holds no
/// native memory and needs no disposing. The items a <see cref="DataLoader{TItem}"/> reads are disposed by it.
/// </remarks>
public sealed class GptDatasetV1 : IReadOnlyList<(Tensor Input, Tensor Target)>
{
    private readonly long[] _ids;

    /// <summary>Tokenizes <paramref name="text"/> with GPT-2 (<c>&lt;|endoftext|&gt;</c> allowed) and cuts it into windows.</summary>
    /// <param name="text">The training text.</param>
    /// <param name="tokenizer">The GPT-2 tokenizer.</param>
    /// <param name="maxLength">Tokens per window (the context length), ≥ 1.</param>
    /// <param name="stride">Tokens between the starts of consecutive windows, ≥ 1; <c>stride == maxLength</c> gives windows that do not overlap.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> or <paramref name="tokenizer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> or <paramref name="stride"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The text is empty or has fewer than <paramref name="maxLength"/> + 1 tokens.</exception>
    public GptDatasetV1(string text, Gpt2Tokenizer tokenizer, int maxLength, int stride)
        : this(Tokenize(text, tokenizer), maxLength, stride, nameof(text))
    {
    }

    /// <summary>Cuts already-tokenized ids into windows.</summary>
    /// <param name="tokenIds">The token ids of the training text.</param>
    /// <param name="maxLength">Tokens per window (the context length), ≥ 1.</param>
    /// <param name="stride">Tokens between the starts of consecutive windows, ≥ 1.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tokenIds"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> or <paramref name="stride"/> is not positive.</exception>
    /// <exception cref="ArgumentException">There are fewer than <paramref name="maxLength"/> + 1 ids.</exception>
    public GptDatasetV1(IReadOnlyList<int> tokenIds, int maxLength, int stride)
        : this(tokenIds, maxLength, stride, nameof(tokenIds))
    {
    }

    private GptDatasetV1(IReadOnlyList<int> tokenIds, int maxLength, int stride, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(tokenIds, sourceName);
        if (maxLength <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"maxLength must be at least 1; got {maxLength}.");
        if (stride <= 0)
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"stride must be at least 1; got {stride}.");
        // A window needs maxLength inputs plus one more token: the target of its last position.
        if (tokenIds.Count < maxLength + 1)
            throw new ArgumentException(
                $"The text has {tokenIds.Count} tokens, but one window of maxLength {maxLength} needs at least {maxLength + 1} " +
                "(its inputs plus the next token as the last target). Use more text or a smaller maxLength.", sourceName);

        _ids = tokenIds.Select(id => (long)id).ToArray();
        MaxLength = maxLength;
        Stride = stride;
        // The book's range(0, len(token_ids) - max_length, stride).
        Count = (_ids.Length - maxLength + stride - 1) / stride;
    }

    private static IReadOnlyList<int> Tokenize(string text, Gpt2Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (text.Length == 0)
            throw new ArgumentException("The text is empty; a dataset needs at least maxLength + 1 tokens.", nameof(text));
        return tokenizer.Encode(text, allowEndOfText: true);
    }

    /// <summary>Tokens per window.</summary>
    public int MaxLength { get; }

    /// <summary>Tokens between the starts of consecutive windows.</summary>
    public int Stride { get; }

    /// <summary>Number of tokens in the whole text.</summary>
    public int TokenCount => _ids.Length;

    /// <summary>Number of windows: ⌈(TokenCount − MaxLength) / Stride⌉.</summary>
    public int Count { get; }

    /// <summary>
    /// Window <paramref name="index"/>: <c>Input</c> = ids[index·Stride …+MaxLength), <c>Target</c> = the same shifted by one.
    /// Both are new int64 tensors of shape (MaxLength), owned by the caller.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, <see cref="Count"/>).</exception>
    public (Tensor Input, Tensor Target) this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"Window index {index} is outside [0, {Count}).");
            var start = index * Stride;
            var input = torch.tensor(_ids.AsSpan(start, MaxLength).ToArray(), dtype: int64);      // (maxLength)
            var target = torch.tensor(_ids.AsSpan(start + 1, MaxLength).ToArray(), dtype: int64); // (maxLength)
            return (input, target);
        }
    }

    /// <summary>The windows in order; each item's tensors are new and owned by the caller.</summary>
    public IEnumerator<(Tensor Input, Tensor Target)> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
