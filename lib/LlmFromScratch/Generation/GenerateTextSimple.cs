using LlmFromScratch.Model;
using static TorchSharp.torch;

namespace LlmFromScratch.Generation;

/// <summary>
/// Section 4.7: the book's <c>generate_text_simple</c>, greedy decoding: repeatedly run the model, take the
/// most likely next token, append it.
/// </summary>
public static class GenerateTextSimple
{
    /// <summary>Appends <paramref name="maxNewTokens"/> greedily chosen tokens to <paramref name="idx"/>.</summary>
    /// <param name="model">The model; put it in eval mode first (<c>model.eval()</c>) so dropout is off.</param>
    /// <param name="idx">Prompt token ids, shape (b, n), on the model's device.</param>
    /// <param name="maxNewTokens">How many tokens to add (≥ 0).</param>
    /// <param name="contextSize">Longest window the model sees, in [1, model.Config.ContextLength]; longer
    /// sequences are cropped to their last contextSize tokens.</param>
    /// <param name="useKvCache">New (KV cache): reuse keys and values across steps (<see cref="KvCacheSession"/>);
    /// gives exactly the same tokens, faster.</param>
    /// <returns>A new tensor, shape (b, n + maxNewTokens): the prompt followed by the generated tokens.</returns>
    /// <exception cref="ArgumentOutOfRangeException">maxNewTokens is negative or contextSize out of range.</exception>
    /// <exception cref="ArgumentException">idx is not (b, n ≥ 1).</exception>
    public static Tensor Generate(GptModel model, Tensor idx, int maxNewTokens, int contextSize, bool useKvCache = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(idx);
        ArgumentOutOfRangeException.ThrowIfNegative(maxNewTokens);
        if (contextSize < 1 || contextSize > model.Config.ContextLength)
            throw new ArgumentOutOfRangeException(nameof(contextSize), contextSize,
                $"contextSize must be in [1, {model.Config.ContextLength}] (the model's ContextLength)");
        if (idx.dim() != 2 || idx.shape[1] == 0)
            throw new ArgumentException($"expected token ids of shape (batch, tokens ≥ 1), got [{string.Join(", ", idx.shape)}]", nameof(idx));

        using var _ = no_grad();
        using var session = useKvCache ? new KvCacheSession(model, contextSize) : null;
        var current = idx.clone();
        for (var step = 0; step < maxNewTokens; step++)
        {
            using var scope = NewDisposeScope();
            var logits = session?.NextTokenLogits(current) ?? LastPositionLogits(model, current, contextSize); // (b, vocab)
            // argmax of the logits is argmax of softmax(logits): softmax is monotonic, so the book's softmax
            // step does not change the choice and is skipped.
            var next = logits.argmax(-1, keepdim: true);  // (b, 1)
            var grown = cat([current, next], dim: 1).MoveToOuterDisposeScope(); // (b, n + 1)
            current.Dispose();
            current = grown;
        }
        return current;
    }

    private static Tensor LastPositionLogits(GptModel model, Tensor idx, int contextSize)
    {
        var n = idx.shape[1];
        // Crop to the last contextSize tokens: the model has positional embeddings for no more than that.
        var idxCond = n > contextSize ? idx[.., (int)(n - contextSize)..] : idx; // (b, ≤ contextSize)
        var logits = model.call(idxCond);  // (b, t, vocab)
        return logits[.., -1, ..];          // (b, vocab)
    }
}
