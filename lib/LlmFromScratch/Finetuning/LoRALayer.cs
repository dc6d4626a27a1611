using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// Appendix E's low-rank update: <c>alpha · (x @ A @ B)</c> with A (in, rank) and B (rank, out). B starts at zero,
/// so a freshly added layer changes nothing; training moves only A and B, rank · (in + out) numbers instead of
/// in · out.
/// </summary>
public sealed class LoRALayer : nn.Module<Tensor, Tensor>
{
    // Field names are the book's state-dict keys ("A", "B").
    private readonly Parameter A;
    private readonly Parameter B;

    /// <param name="inDim">Input features.</param>
    /// <param name="outDim">Output features.</param>
    /// <param name="rank">Inner dimension of the update.</param>
    /// <param name="alpha">Scale of the update.</param>
    /// <param name="device">Where to create A and B (default: the default device).</param>
    /// <param name="dtype">Their element type (default: the default dtype).</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension or the rank below 1.</exception>
    public LoRALayer(long inDim, long outDim, long rank, double alpha, Device? device = null, ScalarType? dtype = null)
        : base(nameof(LoRALayer))
    {
        if (inDim < 1) throw new ArgumentOutOfRangeException(nameof(inDim), inDim, "must be at least 1");
        if (outDim < 1) throw new ArgumentOutOfRangeException(nameof(outDim), outDim, "must be at least 1");
        if (rank < 1) throw new ArgumentOutOfRangeException(nameof(rank), rank, "must be at least 1");
        A = new Parameter(empty(inDim, rank, dtype: dtype, device: device));
        // The same init as nn.Linear's weight; for a 2-D tensor the fan-in is dim 1, here the rank.
        nn.init.kaiming_uniform_(A, a: Math.Sqrt(5));
        B = new Parameter(zeros(rank, outDim, dtype: dtype, device: device));
        Alpha = alpha;
        Rank = rank;
        RegisterComponents();
    }

    /// <summary>Scale of the update.</summary>
    public double Alpha { get; }

    /// <summary>Inner dimension of the update.</summary>
    public long Rank { get; }

    /// <summary>x (…, in) → alpha · x A B (…, out).</summary>
    public override Tensor forward(Tensor x)
    {
        return Alpha * x.matmul(A).matmul(B);   // (…, rank) → (…, out)
    }
}
