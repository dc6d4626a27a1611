using static TorchSharp.torch;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// Chapter 7's collate functions, in the order the book develops them: <see cref="CollateDraft1"/> pads,
/// <see cref="CollateDraft2"/> adds shifted targets, <see cref="Collate"/> (the book's <c>custom_collate_fn</c>) adds
/// the ignore index, truncation and (exercise 7.2) prompt masking.
/// </summary>
public static class InstructionCollate
{
    /// <summary>GPT-2's <c>&lt;|endoftext|&gt;</c> id, used as the end marker and as padding.</summary>
    public const int EndOfText = 50256;

    /// <summary>The target value PyTorch's (and TorchSharp's) cross-entropy skips by default.</summary>
    public const int IgnoreIndex = -100;

    /// <summary>
    /// Draft 1: appends one <paramref name="padTokenId"/> to every sequence, pads all to the batch's longest + 1,
    /// and drops the last position. Returns inputs (b, t) int64.
    /// </summary>
    public static Tensor CollateDraft1(IReadOnlyList<IReadOnlyList<int>> batch, int padTokenId = EndOfText, Device? device = null)
    {
        var padded = PadPlusOne(batch, padTokenId);
        return ToTensor(padded.Select(p => p[..^1]).ToList(), device);
    }

    /// <summary>
    /// Draft 2: as draft 1, plus targets = the padded sequence shifted left by one (the next token at every position).
    /// Returns inputs and targets, both (b, t) int64.
    /// </summary>
    public static (Tensor Inputs, Tensor Targets) CollateDraft2(IReadOnlyList<IReadOnlyList<int>> batch, int padTokenId = EndOfText, Device? device = null)
    {
        var padded = PadPlusOne(batch, padTokenId);
        return (ToTensor(padded.Select(p => p[..^1]).ToList(), device), ToTensor(padded.Select(p => p[1..]).ToList(), device));
    }

    /// <summary>
    /// The book's <c>custom_collate_fn</c>, step by step for each sequence: append one <paramref name="padTokenId"/>
    /// (the end-of-text marker the model must learn to emit); pad to the batch's longest with <paramref name="padTokenId"/>;
    /// inputs = all but the last token, targets = all but the first; in the targets, every position holding
    /// <paramref name="padTokenId"/> after the first one becomes <paramref name="ignoreIndex"/> (so the loss sees one end
    /// marker, not the padding); with <paramref name="promptLengths"/> the first <c>promptLength - 1</c> targets (those
    /// predicting prompt tokens) become <paramref name="ignoreIndex"/> too; finally both are cut to
    /// <paramref name="allowedMaxLength"/>.
    /// </summary>
    /// <param name="batch">Token ids of each sequence.</param>
    /// <param name="padTokenId">End marker and padding id.</param>
    /// <param name="ignoreIndex">Target value the loss skips.</param>
    /// <param name="allowedMaxLength">Cut inputs and targets to at most this many positions (the model's context length).</param>
    /// <param name="promptLengths">Prompt token count of each sequence, to mask the prompt's targets; null = no masking.</param>
    /// <param name="device">Where the tensors are created.</param>
    /// <returns>inputs (b, t) and targets (b, t), int64, with t = min(longest sequence, allowedMaxLength).</returns>
    /// <remarks>
    /// As in the book, a <paramref name="padTokenId"/> that is part of a text (not padding) counts as padding too.
    /// </remarks>
    /// <exception cref="ArgumentException">An empty batch, or <paramref name="promptLengths"/> of another length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="allowedMaxLength"/> below 1 or a negative prompt length.</exception>
    public static (Tensor Inputs, Tensor Targets) Collate(IReadOnlyList<IReadOnlyList<int>> batch, int padTokenId = EndOfText,
        int ignoreIndex = IgnoreIndex, int? allowedMaxLength = null, IReadOnlyList<int>? promptLengths = null, Device? device = null)
    {
        if (allowedMaxLength is < 1)
            throw new ArgumentOutOfRangeException(nameof(allowedMaxLength), allowedMaxLength, "must be at least 1");
        if (promptLengths is not null && promptLengths.Count != batch.Count)
            throw new ArgumentException($"{promptLengths.Count} prompt lengths for a batch of {batch.Count} sequences", nameof(promptLengths));
        var padded = PadPlusOne(batch, padTokenId);
        var inputs = new List<long[]>(batch.Count);
        var targets = new List<long[]>(batch.Count);
        for (var row = 0; row < padded.Count; row++)
        {
            var input = padded[row][..^1];
            var target = padded[row][1..];
            var firstPad = Array.IndexOf(target, (long)padTokenId);
            for (var j = firstPad + 1; firstPad >= 0 && j < target.Length; j++)
                if (target[j] == padTokenId) target[j] = ignoreIndex;
            if (promptLengths is not null)
            {
                var prompt = promptLengths[row];
                if (prompt < 0) throw new ArgumentOutOfRangeException(nameof(promptLengths), prompt, $"prompt length of sequence {row} is negative");
                // Target j predicts token j + 1, so targets 0 .. prompt - 2 predict prompt tokens.
                for (var j = 0; j < Math.Min(prompt - 1, target.Length); j++) target[j] = ignoreIndex;
            }
            if (allowedMaxLength is { } max && input.Length > max)
            {
                input = input[..max];
                target = target[..max];
            }
            inputs.Add(input);
            targets.Add(target);
        }
        return (ToTensor(inputs, device), ToTensor(targets, device));
    }

    /// <summary>Each sequence + one pad token, padded to the batch's longest + 1.</summary>
    private static List<long[]> PadPlusOne(IReadOnlyList<IReadOnlyList<int>> batch, int padTokenId)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) throw new ArgumentException("the batch is empty", nameof(batch));
        var length = batch.Max(item => item.Count) + 1;
        return batch.Select(item =>
        {
            var row = new long[length];
            for (var t = 0; t < item.Count; t++) row[t] = item[t];
            Array.Fill(row, padTokenId, item.Count, length - item.Count);
            return row;
        }).ToList();
    }

    private static Tensor ToTensor(IReadOnlyList<long[]> rows, Device? device)
    {
        var width = rows[0].Length;
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Count, width], device: device);   // (b, t)
    }
}
