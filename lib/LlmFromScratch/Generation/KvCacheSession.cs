using LlmFromScratch.Attention;
using LlmFromScratch.Model;
using static TorchSharp.torch;

namespace LlmFromScratch.Generation;

/// <summary>
/// Chapter 4 extension: next-token logits for a growing sequence, computing each new token's keys and values
/// once and reusing them (a KV cache) instead of re-running the model over the whole window every step.
/// Any decoding loop (greedy, or chapter 5's sampling) can swap <c>model.call(idxCond)[:, -1, :]</c> for
/// <see cref="NextTokenLogits"/>.
/// </summary>
/// <remarks>
/// <para>Each call passes the whole sequence so far; the session feeds the model only the tokens it has not
/// seen. The result equals the uncached computation on the last <c>contextSize</c> tokens:</para>
/// <list type="bullet">
/// <item>While the sequence fits in the window, the cache holds positions 0…n−1 and each new token is one
/// cached step.</item>
/// <item>Once the window is full, the uncached model sees a sliding window whose tokens all shift to new
/// positions every step, so every cached key (computed at the old positions) is stale. The session then does
/// what the uncached model does: it clears the cache and recomputes the last <c>contextSize</c> tokens. Past
/// that point there is no speed-up, but the tokens stay exactly those of uncached generation.</item>
/// </list>
/// <para>Run it under <c>torch.no_grad()</c> with the model in eval mode, as generation does.</para>
/// </remarks>
public sealed class KvCacheSession : IDisposable
{
    private readonly GptModel _model;
    private readonly int _contextSize;
    private readonly KvCache _cache;
    private long _windowStart; // index in the full sequence of the token at cache position 0
    private long _seen = -1;   // sequence length at the previous call

    /// <param name="model">The model to run (in eval mode).</param>
    /// <param name="contextSize">Window size: at most the model's ContextLength.</param>
    /// <exception cref="ArgumentOutOfRangeException">contextSize is not in [1, ContextLength].</exception>
    public KvCacheSession(GptModel model, int contextSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (contextSize < 1 || contextSize > model.Config.ContextLength)
            throw new ArgumentOutOfRangeException(nameof(contextSize), contextSize,
                $"contextSize must be in [1, {model.Config.ContextLength}] (the model's ContextLength)");
        _model = model;
        _contextSize = contextSize;
        _cache = new KvCache(model.Config.NLayers, contextSize);
    }

    /// <summary>How many calls so far found the window full and recomputed it from scratch.</summary>
    public int Recomputations { get; private set; }

    /// <summary>Logits for the token after the last one in <paramref name="idx"/>.</summary>
    /// <param name="idx">The whole sequence so far, shape (b, n); each call's idx must extend the previous one's.</param>
    /// <returns>Shape (b, VocabSize).</returns>
    public Tensor NextTokenLogits(Tensor idx)
    {
        ArgumentNullException.ThrowIfNull(idx);
        if (idx.dim() != 2 || idx.shape[1] == 0)
            throw new ArgumentException($"expected token ids of shape (batch, tokens ≥ 1), got [{string.Join(", ", idx.shape)}]", nameof(idx));
        var n = idx.shape[1];
        var cachedEnd = _windowStart + _cache.Length; // first token of idx not in the cache
        if (n <= _seen || n - _windowStart > _contextSize)
        {
            // Fresh start or a full window: recompute the last contextSize tokens from position 0.
            if (_seen >= 0) Recomputations++;
            _cache.Reset();
            _windowStart = Math.Max(0, n - _contextSize);
            cachedEnd = _windowStart;
        }
        _seen = n;
        using var newTokens = idx[.., (int)cachedEnd..];         // (b, new)
        using var logits = _model.forward(newTokens, _cache);     // (b, new, vocab)
        return logits[.., -1, ..];                                // (b, vocab)
    }

    /// <summary>Frees the cache.</summary>
    public void Dispose() => _cache.Dispose();
}
