using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Attention;

/// <summary>The causal mask shared by <see cref="CausalAttention"/> and <see cref="MultiHeadAttention"/>.</summary>
internal static class CausalMask
{
    /// <summary>The buffer's name, as in the book (<c>register_buffer("mask", …)</c>).</summary>
    public const string BufferName = "mask";

    /// <summary>
    /// (contextLength, contextLength) booleans, true above the diagonal: true marks a future token that query i
    /// must not see. Kept as bool (the book stores 0/1 floats and calls <c>.bool()</c> in every forward).
    /// </summary>
    public static Tensor Create(int contextLength)
    {
        using var all = ones(contextLength, contextLength, dtype: ScalarType.Bool);
        return all.triu(diagonal: 1).DetachFromDisposeScope();
    }

    /// <summary>Whether a module move to <paramref name="device"/> must carry the mask along (see CausalAttention._toEpilog).</summary>
    public static bool NeedsMove(Tensor mask, Device? device) =>
        device is not null && (mask.device_type != device.type ||
                               (device.type != DeviceType.CPU && mask.device_index != device.index));

    /// <summary>Throws the course's standard message when a sequence is longer than the mask.</summary>
    public static void RequireFits(long sequenceLength, long contextLength, string paramName)
    {
        if (sequenceLength > contextLength)
            throw new ArgumentException(
                $"sequence length {sequenceLength} exceeds ContextLength {contextLength}", paramName);
    }

    /// <summary>Throws unless <paramref name="x"/> is (batch, tokens, dIn) with the expected dIn.</summary>
    public static void RequireBatchOfEmbeddings(Tensor x, long dIn, string paramName)
    {
        ArgumentNullException.ThrowIfNull(x, paramName);
        if (x.dim() != 3 || x.shape[2] != dIn)
            throw new ArgumentException(
                $"expected input of shape (batch, tokens, {dIn}), got [{string.Join(", ", x.shape)}]", paramName);
    }
}
