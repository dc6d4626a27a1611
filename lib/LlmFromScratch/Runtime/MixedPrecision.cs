using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Runtime;

/// <summary>
/// The casting rules of the course's mixed precision, PyTorch's autocast written out: a linear layer casts its input,
/// weight and bias to the compute dtype (bfloat16) for the product; the parameters themselves, their gradients, the
/// optimizer state, layer norm, softmax and the loss stay float32. bfloat16 keeps float32's exponent range, so unlike
/// float16 it needs no loss scaling.
/// </summary>
/// <remarks>
/// The casts are part of the autograd graph: the gradient of a bfloat16 copy of a weight flows back through the cast
/// and is accumulated in float32 into the float32 parameter's <c>.grad</c>. With <see cref="ScalarType.Float32"/>
/// every method here is exactly the plain float32 call, so the default path is unchanged bit for bit.
/// </remarks>
public static class MixedPrecision
{
    /// <summary>True for the compute dtypes the modules accept: float32 and bfloat16.</summary>
    public static bool IsSupported(ScalarType dtype) => dtype is ScalarType.Float32 or ScalarType.BFloat16;

    /// <summary>Guard for a compute-dtype argument.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is neither Float32 nor BFloat16.</exception>
    public static ScalarType Require(ScalarType dtype, string paramName) => IsSupported(dtype)
        ? dtype
        : throw new ArgumentOutOfRangeException(paramName, dtype,
            $"compute dtype {dtype} is not supported; use Float32 or BFloat16 (Float16 would need loss scaling)");

    /// <summary>
    /// Runs <paramref name="layer"/> on <paramref name="x"/> with its product in <paramref name="computeDtype"/>.
    /// A TorchSharp <see cref="Linear"/> is computed as <c>linear(x, W, b)</c> on bfloat16 copies and the result is
    /// cast to <paramref name="resultDtype"/>; any other module (a LoRA wrapper, a replaced head) is called as it is,
    /// in float32. With a Float32 compute dtype this is exactly <c>layer.call(x)</c>.
    /// </summary>
    /// <param name="layer">Usually a <c>Linear</c>; mapping (…, in) to (…, out).</param>
    /// <param name="x">Input, shape (…, in), any floating dtype.</param>
    /// <param name="computeDtype">Float32 or BFloat16.</param>
    /// <param name="resultDtype">Dtype of the returned tensor; defaults to float32. Pass the compute dtype to feed
    /// another product (attention's queries, keys and values) without a round trip through float32.</param>
    /// <returns>Shape (…, out).</returns>
    /// <remarks>Forward hooks on <paramref name="layer"/> fire only in float32, where the layer is called normally.</remarks>
    public static Tensor Linear(nn.Module<Tensor, Tensor> layer, Tensor x, ScalarType computeDtype,
        ScalarType resultDtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(x);
        if (computeDtype == ScalarType.Float32) return layer.call(x);
        if (layer is not Linear linear || linear.weight is null)
        {
            using var full = x.to(ScalarType.Float32);
            using var output = layer.call(full);
            return output.to(resultDtype);
        }
        using var input = x.to(computeDtype);
        using var weight = linear.weight.to(computeDtype);
        using var bias = linear.bias?.to(computeDtype);
        using var product = nn.functional.linear(input, weight, bias);   // (…, out), computeDtype
        return product.to(resultDtype);
    }
}
