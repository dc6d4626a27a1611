using static TorchSharp.torch;

namespace LlmFromScratch.Attention;

/// <summary>
/// Section 3.3: self-attention without trainable weights. Every input vector is its own query, key and value,
/// so the attention score of token i for token j is simply the dot product x_i · x_j. Not used by the model;
/// it is the stepping stone to <see cref="SelfAttentionV1"/>.
/// </summary>
public static class SimplifiedSelfAttention
{
    /// <summary>Unnormalised attention scores ω = X Xᵀ.</summary>
    /// <param name="inputs">Token embeddings, shape (t, d).</param>
    /// <returns>Scores, shape (t, t); row i holds query i's score for every token.</returns>
    public static Tensor AttentionScores(Tensor inputs)
    {
        RequireMatrix(inputs);
        return inputs.matmul(inputs.T); // (t, t)
    }

    /// <summary>Attention weights: each row of the scores put through softmax, so it sums to 1.</summary>
    /// <param name="inputs">Token embeddings, shape (t, d).</param>
    /// <returns>Weights, shape (t, t).</returns>
    public static Tensor AttentionWeights(Tensor inputs)
    {
        using var scores = AttentionScores(inputs);
        return softmax(scores, dim: -1); // (t, t)
    }

    /// <summary>Context vectors z_i = Σ_j α_ij x_j, all at once as a matrix product.</summary>
    /// <param name="inputs">Token embeddings, shape (t, d).</param>
    /// <returns>Context vectors, shape (t, d).</returns>
    public static Tensor ContextVectors(Tensor inputs)
    {
        using var weights = AttentionWeights(inputs);
        return weights.matmul(inputs); // (t, d)
    }

    private static void RequireMatrix(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.dim() != 2)
            throw new ArgumentException(
                $"expected token embeddings of shape (tokens, dim), got {inputs.dim()} dimensions [{string.Join(", ", inputs.shape)}]",
                nameof(inputs));
    }
}
