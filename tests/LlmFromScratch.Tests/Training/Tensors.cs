using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Training;

/// <summary>Bitwise comparison (TorchSharp's <c>Tensor.equal</c> is elementwise, unlike PyTorch's <c>torch.equal</c>).</summary>
public static class Tensors
{
    public static bool Identical(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using var same = a.eq(b);
        using var all = same.all();
        return all.item<bool>();
    }
}
