using static TorchSharp.torch;

namespace LlmFromScratch.Finetuning;

/// <summary>Classifying a new text with a fine-tuned model: the book's <c>classify_review</c>.</summary>
public static class SpamClassifier
{
    /// <summary>
    /// Encodes <paramref name="text"/>, cuts it to min(<paramref name="maxLength"/>, <paramref name="contextLength"/>)
    /// tokens, pads to <paramref name="maxLength"/> (the training set's length, so the last token sits where it did in
    /// training) and returns the argmax class of the last token's logits.
    /// </summary>
    /// <param name="text">The message.</param>
    /// <param name="model">Maps (1, t) ids to (1, t, classes) logits; it is put in eval mode.</param>
    /// <param name="encode">Text → token ids (the tokenizer used in training).</param>
    /// <param name="device">Where the model lives.</param>
    /// <param name="maxLength">Padded length, the training data set's <see cref="SpamDataset.MaxLength"/>.</param>
    /// <param name="contextLength">The model's supported context length (the book reads it from <c>pos_emb</c>).</param>
    /// <param name="padTokenId">Padding id.</param>
    /// <returns>The predicted class index (for spam data, <see cref="SpamLabel"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> below 1 or above <paramref name="contextLength"/>.</exception>
    public static int ClassifyReview(string text, nn.Module<Tensor, Tensor> model, Func<string, IReadOnlyList<int>> encode, Device device,
        int maxLength, int contextLength, int padTokenId = 50256)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (maxLength < 1 || maxLength > contextLength)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"must be in 1..{contextLength} (the context length)");
        var ids = encode(text).Take(maxLength).Select(i => (long)i).ToList();
        ids.AddRange(Enumerable.Repeat((long)padTokenId, maxLength - ids.Count));
        model.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var input = tensor(ids.ToArray(), [1, maxLength], device: device);   // (1, t)
        var logits = model.call(input)[.., -1, ..];                            // (1, classes)
        return (int)logits.argmax(-1).item<long>();
    }
}
