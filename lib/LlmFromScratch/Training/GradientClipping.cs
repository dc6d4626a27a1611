using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Training;

/// <summary>
/// Gradient clipping by global norm (appendix D.3): if the L2 norm of all gradients taken together exceeds
/// <c>maxNorm</c>, every gradient is scaled by <c>maxNorm / (norm + 1e-6)</c>.
/// </summary>
/// <remarks>
/// Same arithmetic as <c>torch.nn.utils.clip_grad_norm_</c>, but the total norm stays a tensor on the device:
/// TorchSharp's version returns a <see cref="double"/>, which forces a device-to-host copy on every step.
/// </remarks>
public static class GradientClipping
{
    /// <summary>Scales the gradients of <paramref name="parameters"/> in place so their global L2 norm is at most <paramref name="maxNorm"/>.</summary>
    /// <param name="parameters">Parameters whose <c>grad</c> to clip; those without a gradient are skipped.</param>
    /// <param name="maxNorm">The largest allowed global norm, &gt; 0.</param>
    /// <returns>The global norm before clipping, a scalar tensor on the gradients' device (caller disposes), or null when no parameter has a gradient.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not a positive finite number.</exception>
    public static Tensor? ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0) || double.IsInfinity(maxNorm))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be a positive finite number");

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return null;
        var norms = grads.Select(g => g.norm(2.0f)).ToList();                          // one () per parameter
        var total = norms.Count == 1 ? norms[0] : stack(norms).norm(2.0f);             // ()
        var coefficient = (maxNorm / (total + 1e-6)).clamp_max(1.0);                   // ()
        foreach (var g in grads) g.mul_(coefficient);
        return total.MoveToOuterDisposeScope();
    }
}
