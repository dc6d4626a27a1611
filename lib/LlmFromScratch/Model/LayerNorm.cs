using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Model;

/// <summary>
/// Section 4.2: layer normalisation over the embedding dimension, with a trainable <c>scale</c> and
/// <c>shift</c>: scale · (x − mean) / √(var + ε) + shift, using the biased variance (divide by n, as
/// GPT-2 did) and ε = 1e-5.
/// </summary>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    /// <summary>ε, added to the variance so a constant row does not divide by zero.</summary>
    public const double Eps = 1e-5;

    private readonly Parameter scale;
    private readonly Parameter shift;
    private readonly long[] _normalizedShape;

    /// <param name="embDim">Size of the last dimension, the one normalised.</param>
    public LayerNorm(int embDim) : base(nameof(LayerNorm))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embDim);
        _normalizedShape = [embDim];
        scale = Parameter(ones(embDim));
        shift = Parameter(zeros(embDim));
        RegisterComponents();
    }

    /// <param name="x">Activations, shape (…, embDim).</param>
    /// <returns>Normalised activations, same shape.</returns>
    public override Tensor forward(Tensor x) =>
        // libtorch's fused kernel computes exactly the formula above (biased variance, same ε) in one pass
        // instead of six temporaries; LayerNormTests checks it against the formula written out.
        functional.layer_norm(x, _normalizedShape, scale, shift, Eps);
}
