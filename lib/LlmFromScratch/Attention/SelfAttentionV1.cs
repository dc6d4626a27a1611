using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Attention;

/// <summary>
/// Section 3.4.2: trainable self-attention with raw weight matrices, initialised with <c>torch.rand</c> as in
/// the book (so under <c>manual_seed(123)</c> it reproduces the book's numbers). Superseded by
/// <see cref="SelfAttentionV2"/>, whose <c>Linear</c> layers start from a better-scaled initialisation.
/// </summary>
public sealed class SelfAttentionV1 : Module<Tensor, Tensor>
{
    // Field names are the state-dict keys (the book's names), here and in every module of the course.
    private readonly Parameter W_query;
    private readonly Parameter W_key;
    private readonly Parameter W_value;

    /// <param name="dIn">Input embedding size.</param>
    /// <param name="dOut">Size of the query, key, value and context vectors.</param>
    public SelfAttentionV1(int dIn, int dOut) : base(nameof(SelfAttentionV1))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dIn);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dOut);
        W_query = Parameter(rand(dIn, dOut));
        W_key = Parameter(rand(dIn, dOut));
        W_value = Parameter(rand(dIn, dOut));
        RegisterComponents();
    }

    /// <param name="x">Token embeddings, shape (t, dIn).</param>
    /// <returns>Context vectors, shape (t, dOut).</returns>
    public override Tensor forward(Tensor x)
    {
        using var keys = x.matmul(W_key);       // (t, dOut)
        using var queries = x.matmul(W_query);  // (t, dOut)
        using var values = x.matmul(W_value);   // (t, dOut)
        using var scores = queries.matmul(keys.T); // (t, t)
        // Dividing by √d_k keeps the dot products from growing with the dimension, which would push softmax
        // into saturation and shrink its gradients.
        using var weights = softmax(scores / Math.Sqrt(keys.shape[^1]), dim: -1);
        return weights.matmul(values); // (t, dOut)
    }
}
