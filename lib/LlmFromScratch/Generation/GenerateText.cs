using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Generation;

/// <summary>
/// The book's <c>generate</c> (§5.3.3): autoregressive generation with temperature, top-k, an end-of-text stop, and
/// (new here) top-p and a seedable generator. Works with any model mapping (b, t) int64 ids to (b, t, vocab) logits.
/// </summary>
public static class GenerateText
{
    /// <summary>
    /// Appends up to <paramref name="maxNewTokens"/> tokens to each row of <paramref name="idx"/>. Each step feeds the
    /// last <paramref name="contextSize"/> tokens to the model, takes the last position's logits and picks a token
    /// with <see cref="Sampling.NextToken"/>. Runs in eval mode under <c>no_grad</c> (the model's mode is restored
    /// afterwards), one dispose scope per token.
    /// </summary>
    /// <param name="model">Maps (b, t) ids to (b, t, vocab) logits; <paramref name="idx"/> must be on its device.</param>
    /// <param name="idx">Prompt token ids (b, t), int64, t ≥ 1.</param>
    /// <param name="maxNewTokens">Tokens to add, ≥ 0; 0 returns a copy of <paramref name="idx"/>.</param>
    /// <param name="contextSize">Longest input the model accepts (its context length), ≥ 1; longer inputs are cropped to their last tokens.</param>
    /// <param name="temperature">0 (default) is greedy argmax; &gt; 0 samples from softmax(logits / temperature).</param>
    /// <param name="topK">Sample only among the k most likely tokens (≥ 1; a k above the vocabulary size keeps all), or null.</param>
    /// <param name="topP">Sample only within the nucleus of probability mass p, in (0, 1], or null.</param>
    /// <param name="eosId">
    /// End-of-text id: generation stops when every row has produced it, and that final id is not appended (as in the
    /// book for one row). In a batch, a row that finishes before the others is padded with <paramref name="eosId"/>.
    /// </param>
    /// <param name="generator">Random generator for sampling, for reproducible draws; null uses the global generator.</param>
    /// <returns>A new (b, t + n) int64 tensor, n ≤ <paramref name="maxNewTokens"/>: the prompt followed by the generated ids.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count or sampling option outside its range.</exception>
    /// <exception cref="ArgumentException"><paramref name="idx"/> is not (b, t ≥ 1) int64, or the model's output is not (b, t, vocab).</exception>
    public static Tensor Generate(nn.Module<Tensor, Tensor> model, Tensor idx, int maxNewTokens, int contextSize,
        double temperature = 0.0, int? topK = null, double? topP = null, long? eosId = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(idx);
        if (idx.dim() != 2 || idx.shape[1] < 1 || idx.dtype != ScalarType.Int64)
            throw new ArgumentException(
                $"idx must be (batch, tokens ≥ 1) int64; got {idx.dtype} of shape ({string.Join(", ", idx.shape)})", nameof(idx));
        if (maxNewTokens < 0)
            throw new ArgumentOutOfRangeException(nameof(maxNewTokens), maxNewTokens, "maxNewTokens must be 0 or more");
        if (contextSize < 1)
            throw new ArgumentOutOfRangeException(nameof(contextSize), contextSize, "contextSize must be at least 1");
        Sampling.CheckOptions(temperature, topK, topP);

        var wasTraining = model.training;
        model.eval();
        using var noGrad = no_grad();
        var result = idx.clone();                                                    // (b, t)
        Tensor? finished = null;                                                     // (b, 1) bool: row has produced eosId
        try
        {
            for (var i = 0; i < maxNewTokens; i++)
            {
                using var scope = NewDisposeScope();
                var t = result.shape[1];
                var context = t > contextSize ? result.narrow(1, t - contextSize, contextSize) : result;  // (b, ≤ contextSize)
                var logits = model.call(context);                                    // (b, t', vocab)
                if (logits.dim() != 3 || logits.shape[0] != context.shape[0] || logits.shape[1] != context.shape[1])
                    throw new ArgumentException(
                        $"the model returned logits of shape ({string.Join(", ", logits.shape)}); expected (batch {context.shape[0]}, tokens {context.shape[1]}, vocab)",
                        nameof(model));
                var next = Sampling.NextToken(logits.select(1, -1), temperature, topK, topP, generator);  // (b, 1)
                if (eosId is { } eos)
                {
                    var done = finished is null ? next == eos : finished.logical_or(next == eos);        // (b, 1)
                    if (done.all().item<bool>()) break;
                    if (finished is not null) next = next.masked_fill(finished, eos);
                    finished?.Dispose();
                    finished = done.DetachFromDisposeScope();
                }
                var grown = cat([result, next], 1).MoveToOuterDisposeScope();        // (b, t + 1)
                result.Dispose();
                result = grown;
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
        finally
        {
            finished?.Dispose();
            model.train(wasTraining);
        }
    }
}
