using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Generation;

/// <summary>
/// Choosing the next token from last-position logits (§5.3): greedy argmax, temperature scaling, top-k, and top-p
/// (nucleus) filtering. Every function takes logits of shape (b, vocab).
/// </summary>
/// <remarks>
/// Order in <see cref="NextToken"/>: top-k on the raw logits (as the book does; scaling by a positive temperature
/// keeps the ranking), then temperature, then top-p on the scaled distribution (so temperature changes the nucleus),
/// then one draw. Temperature 0 is greedy and ignores top-k and top-p: the argmax lies inside both sets anyway.
/// </remarks>
public static class Sampling
{
    /// <summary>
    /// Keeps the <paramref name="k"/> largest logits of each row and sets the rest to −∞ (the book's top-k).
    /// Logits tied with the k-th largest are kept too. A <paramref name="k"/> at or above the vocabulary size keeps
    /// every logit (clamped, as Hugging Face does), so a k chosen for GPT-2 still works on a tiny test vocabulary.
    /// </summary>
    /// <param name="logits">(b, vocab).</param>
    /// <param name="k">How many tokens stay candidates, ≥ 1.</param>
    /// <returns>(b, vocab), a new tensor.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is 0 or negative.</exception>
    public static Tensor TopK(Tensor logits, int k)
    {
        CheckLogits(logits);
        CheckTopK(k, nameof(k));
        var vocab = logits.shape[^1];
        if (k >= vocab) return logits.clone();
        using var scope = NewDisposeScope();
        var (top, _) = logits.topk(k, dim: -1);                                     // (b, k), descending
        var kth = top.narrow(-1, k - 1, 1);                                          // (b, 1)
        return logits.masked_fill(logits < kth, double.NegativeInfinity).MoveToOuterDisposeScope();  // (b, vocab)
    }

    /// <summary>
    /// Nucleus filtering: keeps, per row, the smallest set of most probable tokens whose total probability is at
    /// least <paramref name="p"/>, and sets the other logits to −∞. The most probable token always stays.
    /// </summary>
    /// <param name="logits">(b, vocab), already divided by the temperature if one is used.</param>
    /// <param name="p">Probability mass to keep, in (0, 1]; 1 keeps every token.</param>
    /// <returns>(b, vocab), a new tensor.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside (0, 1].</exception>
    public static Tensor TopP(Tensor logits, double p)
    {
        CheckLogits(logits);
        CheckTopP(p, nameof(p));
        using var scope = NewDisposeScope();
        var (sorted, order) = logits.softmax(-1).sort(dim: -1, descending: true);   // (b, vocab) each
        var cumulative = sorted.cumsum(-1);                                          // (b, vocab)
        // Mass of the tokens strictly before each one (the running sum shifted right by one, so it is exactly the
        // sum the kept set has); a token is dropped once that mass already reaches p.
        var vocab = cumulative.shape[^1];
        var before = cat([zeros_like(cumulative.narrow(-1, 0, 1)), cumulative.narrow(-1, 0, vocab - 1)], -1);  // (b, vocab)
        var dropSorted = before >= p;                                                // (b, vocab) in sorted order
        var drop = zeros_like(dropSorted).scatter(-1, order, dropSorted);            // (b, vocab) in vocab order
        return logits.masked_fill(drop, double.NegativeInfinity).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Picks the next token of each row: argmax when <paramref name="temperature"/> is 0, otherwise a draw from
    /// softmax(logits / temperature) after optional top-k and top-p filtering.
    /// </summary>
    /// <param name="logits">(b, vocab) logits of the last position.</param>
    /// <param name="temperature">0 for greedy; &gt; 0 divides the logits (below 1 sharpens, above 1 flattens).</param>
    /// <param name="topK">Keep only the k most likely tokens (≥ 1; clamped to the vocabulary size), or null.</param>
    /// <param name="topP">Keep only the nucleus of mass p, in (0, 1], or null.</param>
    /// <param name="generator">Random generator for the draw; null uses the global one (seed it with <c>torch.manual_seed</c>).</param>
    /// <returns>(b, 1) int64 token ids.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A parameter outside its range.</exception>
    public static Tensor NextToken(Tensor logits, double temperature = 0.0, int? topK = null, double? topP = null, Generator? generator = null)
    {
        CheckLogits(logits);
        CheckOptions(temperature, topK, topP);
        if (temperature == 0.0) return logits.argmax(-1, keepdim: true);             // (b, 1)

        using var scope = NewDisposeScope();
        var filtered = topK is { } k ? TopK(logits, k) : logits;                     // (b, vocab)
        var scaled = filtered / temperature;                                         // (b, vocab)
        scaled = scaled - scaled.max(-1, keepdim: true).values;                     // stable softmax; -inf stays -inf
        if (topP is { } p) scaled = TopP(scaled, p);                                 // (b, vocab); New: not in the book
        var probs = scaled.softmax(-1);                                              // (b, vocab)
        return probs.multinomial(1, generator: generator).MoveToOuterDisposeScope(); // (b, 1)
    }

    internal static void CheckOptions(double temperature, int? topK, double? topP)
    {
        if (!(temperature >= 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be 0 (greedy) or a positive finite number");
        if (topK is { } k) CheckTopK(k, nameof(topK));
        if (topP is { } p) CheckTopP(p, nameof(topP));
    }

    private static void CheckTopK(int k, string name)
    {
        if (k <= 0) throw new ArgumentOutOfRangeException(name, k, "top-k must be at least 1 (null for no top-k filtering)");
    }

    private static void CheckTopP(double p, string name)
    {
        if (!(p > 0 && p <= 1)) throw new ArgumentOutOfRangeException(name, p, "top-p must be in (0, 1] (null for no nucleus filtering)");
    }

    private static void CheckLogits(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.dim() != 2 || logits.shape[1] == 0)
            throw new ArgumentException($"logits must be (batch, vocab); got shape ({string.Join(", ", logits.shape)})", nameof(logits));
    }
}
