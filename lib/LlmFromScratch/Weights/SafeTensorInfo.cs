namespace LlmFromScratch.Weights;

/// <summary>One tensor listed in a safetensors header (already validated against the file).</summary>
/// <param name="Name">Its key, e.g. <c>h.0.attn.c_attn.weight</c>.</param>
/// <param name="DType">The safetensors dtype name: <c>F32</c>, <c>F16</c>, <c>BF16</c>, <c>I64</c>, …</param>
/// <param name="Shape">Its dimensions; empty for a scalar.</param>
/// <param name="Begin">Start of its bytes, relative to the data buffer that follows the header.</param>
/// <param name="End">End (exclusive) of its bytes; <c>End - Begin</c> equals element count × dtype size.</param>
public sealed record SafeTensorInfo(string Name, string DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>Number of bytes the tensor occupies in the file.</summary>
    public long ByteCount => End - Begin;

    /// <summary>The shape as <c>[d0, d1, …]</c>, the way error messages print it.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
