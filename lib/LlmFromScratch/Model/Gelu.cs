using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Model;

/// <summary>
/// Section 4.3: GELU with GPT-2's tanh approximation,
/// 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))). Smooth, and lets small negative values through,
/// unlike ReLU.
/// </summary>
public sealed class Gelu : Module<Tensor, Tensor>
{
    /// <summary>Creates the (parameter-free) activation.</summary>
    public Gelu() : base(nameof(Gelu)) { }

    /// <param name="x">Any shape.</param>
    /// <returns>Same shape.</returns>
    public override Tensor forward(Tensor x) =>
        // libtorch's tanh-approximate GELU is the formula above as one kernel; GeluTests checks it.
        functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh);
}
