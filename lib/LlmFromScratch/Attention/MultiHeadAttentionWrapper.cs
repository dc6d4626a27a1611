using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Attention;

/// <summary>
/// Section 3.6.1: multi-head attention as a stack of independent <see cref="CausalAttention"/> heads whose
/// outputs are concatenated. Correct but runs the heads one after another; <see cref="MultiHeadAttention"/>
/// computes all heads in one batched product.
/// </summary>
public sealed class MultiHeadAttentionWrapper : Module<Tensor, Tensor>
{
    private readonly ModuleList<CausalAttention> heads;

    /// <param name="dIn">Input embedding size.</param>
    /// <param name="dOut">Output size of each head; the wrapper returns numHeads × dOut features.</param>
    /// <param name="contextLength">Longest sequence the causal mask covers.</param>
    /// <param name="dropout">Attention-weight dropout probability, in [0, 1).</param>
    /// <param name="numHeads">Number of heads.</param>
    /// <param name="qkvBias">Whether the projections have a bias.</param>
    public MultiHeadAttentionWrapper(int dIn, int dOut, int contextLength, double dropout, int numHeads, bool qkvBias = false)
        : base(nameof(MultiHeadAttentionWrapper))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numHeads);
        heads = ModuleList(Enumerable.Range(0, numHeads)
            .Select(_ => new CausalAttention(dIn, dOut, contextLength, dropout, qkvBias))
            .ToArray());
        RegisterComponents();
    }

    /// <param name="x">Token embeddings, shape (b, t, dIn).</param>
    /// <returns>Concatenated head outputs, shape (b, t, numHeads × dOut).</returns>
    public override Tensor forward(Tensor x)
    {
        var outputs = heads.Select(head => head.call(x)).ToArray(); // numHeads × (b, t, dOut)
        try
        {
            return cat(outputs, dim: -1); // (b, t, numHeads · dOut)
        }
        finally
        {
            foreach (var output in outputs) output.Dispose();
        }
    }
}
