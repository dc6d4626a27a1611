using static TorchSharp.torch;

namespace LlmFromScratch.Runtime;

/// <summary>
/// A module that can run its matrix products in a lower-precision dtype while keeping its parameters, and
/// everything that is not a matrix product, in float32 (mixed precision). TorchSharp has no autocast, so the
/// modules do the casting themselves; <c>Training.Trainer</c> sets this from
/// <c>TrainerSettings.ComputeDtype</c>.
/// </summary>
public interface IMixedPrecision
{
    /// <summary>
    /// The dtype of the matrix products: <see cref="ScalarType.Float32"/> (default, plain float32 throughout) or
    /// <see cref="ScalarType.BFloat16"/> (see <see cref="MixedPrecision"/>). Setting it on a container sets it on
    /// every mixed-precision module inside.
    /// </summary>
    ScalarType ComputeDtype { get; set; }
}
