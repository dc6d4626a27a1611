using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Attention;

/// <summary>
/// Section 3.4.2: <see cref="SelfAttentionV1"/> with <c>Linear</c> layers. Same computation (a bias-free
/// <c>Linear</c> is a matrix product with the transposed weight), but Kaiming-uniform initialisation.
/// </summary>
public sealed class SelfAttentionV2 : Module<Tensor, Tensor>
{
    private readonly Linear W_query;
    private readonly Linear W_key;
    private readonly Linear W_value;

    /// <param name="dIn">Input embedding size.</param>
    /// <param name="dOut">Size of the query, key, value and context vectors.</param>
    /// <param name="qkvBias">Whether the three projections have a bias (the book's default: no).</param>
    public SelfAttentionV2(int dIn, int dOut, bool qkvBias = false) : base(nameof(SelfAttentionV2))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dIn);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dOut);
        W_query = Linear(dIn, dOut, hasBias: qkvBias);
        W_key = Linear(dIn, dOut, hasBias: qkvBias);
        W_value = Linear(dIn, dOut, hasBias: qkvBias);
        RegisterComponents();
    }

    /// <param name="x">Token embeddings, shape (t, dIn).</param>
    /// <returns>Context vectors, shape (t, dOut).</returns>
    public override Tensor forward(Tensor x)
    {
        using var keys = W_key.call(x);       // (t, dOut)
        using var queries = W_query.call(x);  // (t, dOut)
        using var values = W_value.call(x);   // (t, dOut)
        using var scores = queries.matmul(keys.T); // (t, t)
        using var weights = softmax(scores / Math.Sqrt(keys.shape[^1]), dim: -1);
        return weights.matmul(values); // (t, dOut)
    }
}
