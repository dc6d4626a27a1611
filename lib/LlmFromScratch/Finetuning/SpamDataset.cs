using Microsoft.ML.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// Chapter 6's <c>SpamDataset</c>: every text pre-tokenised, cut to <see cref="MaxLength"/> tokens and padded with
/// <see cref="PadTokenId"/> to that length, so a batch is a plain (b, MaxLength) tensor.
/// </summary>
public sealed class SpamDataset
{
    private readonly int[][] _tokens;
    private readonly int[] _labels;

    /// <param name="data">Texts and labels (class indices).</param>
    /// <param name="encode">Text → token ids, e.g. GPT-2's BPE.</param>
    /// <param name="maxLength">
    /// Length to cut and pad to; null = the longest encoded text here (use the training set's
    /// <see cref="MaxLength"/> for the validation and test sets, as the book does).
    /// </param>
    /// <param name="padTokenId">Padding id; GPT-2's <c>&lt;|endoftext|&gt;</c> is 50256.</param>
    /// <exception cref="ArgumentException">An empty data set with no <paramref name="maxLength"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> below 1.</exception>
    public SpamDataset(IReadOnlyList<LabeledText> data, Func<string, IReadOnlyList<int>> encode, int? maxLength = null, int padTokenId = 50256)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(encode);
        if (maxLength is < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "max length must be at least 1");
        if (maxLength is null && data.Count == 0)
            throw new ArgumentException("an empty data set has no longest text; pass maxLength", nameof(data));
        var encoded = data.Select(d => encode(d.Text)).ToList();
        MaxLength = maxLength ?? encoded.Max(e => e.Count);
        PadTokenId = padTokenId;
        _tokens = encoded.Select(Pad).ToArray();
        _labels = data.Select(d => d.Label).ToArray();
    }

    /// <summary>Tokenises with a Microsoft.ML.Tokenizers tokenizer (e.g. <c>TiktokenTokenizer.CreateForModel("gpt2")</c>).</summary>
    public SpamDataset(IReadOnlyList<LabeledText> data, Tokenizer tokenizer, int? maxLength = null, int padTokenId = 50256)
        : this(data, text => tokenizer.EncodeToIds(text), maxLength, padTokenId)
    {
    }

    /// <summary>Token count of every example (the longest training text unless given).</summary>
    public int MaxLength { get; }

    /// <summary>The id used for padding.</summary>
    public int PadTokenId { get; }

    /// <summary>Number of examples.</summary>
    public int Count => _tokens.Length;

    /// <summary>Padded token ids of example <paramref name="index"/> (length <see cref="MaxLength"/>).</summary>
    public IReadOnlyList<int> TokensAt(int index) => _tokens[index];

    /// <summary>Class index of example <paramref name="index"/>.</summary>
    public int LabelAt(int index) => _labels[index];

    /// <summary>One example as tensors: input ids (MaxLength) int64 and label () int64.</summary>
    public (Tensor Input, Tensor Label) this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"dataset has {Count} examples");
            return (tensor(_tokens[index].Select(t => (long)t).ToArray()), tensor((long)_labels[index]));
        }
    }

    /// <summary>Stacks examples into inputs (b, MaxLength) int64 and labels (b) int64, on <paramref name="device"/>.</summary>
    public (Tensor Inputs, Tensor Labels) Collate(IReadOnlyList<int> indices, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var flat = new long[indices.Count * MaxLength];
        var labels = new long[indices.Count];
        for (var row = 0; row < indices.Count; row++)
        {
            var i = indices[row];
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"dataset has {Count} examples");
            for (var t = 0; t < MaxLength; t++) flat[row * MaxLength + t] = _tokens[i][t];
            labels[row] = _labels[i];
        }
        return (tensor(flat, [indices.Count, MaxLength], device: device), tensor(labels, device: device));
    }

    /// <summary>
    /// A loader over this data set. The book uses batch 8 with shuffle and drop-last for training and neither for
    /// validation and test: 1045 / 149 / 300 examples give 130 / 19 / 38 batches.
    /// </summary>
    public BatchLoader Loader(int batchSize, bool shuffle = false, bool dropLast = false, int seed = 123, Device? device = null) =>
        new(Count, batchSize, indices => Collate(indices, device), shuffle, dropLast, seed);

    private int[] Pad(IReadOnlyList<int> ids)
    {
        var row = new int[MaxLength];
        var n = Math.Min(ids.Count, MaxLength);
        for (var t = 0; t < n; t++) row[t] = ids[t];
        Array.Fill(row, PadTokenId, n, MaxLength - n);
        return row;
    }
}
