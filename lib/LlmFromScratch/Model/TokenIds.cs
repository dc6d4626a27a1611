using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Model;

/// <summary>
/// Checks token ids before they reach an embedding lookup, where libtorch would fail with an opaque index error
/// (or, on a GPU, an asynchronous device assert).
/// </summary>
public static class TokenIds
{
    /// <summary>Throws unless <paramref name="ids"/> is an integer tensor on <paramref name="device"/> with every id in [0, vocabSize).</summary>
    /// <exception cref="ArgumentException">Wrong dtype, wrong device, or an id outside the vocabulary; the message names which.</exception>
    public static void Check(Tensor ids, int vocabSize, Device device, string paramName)
    {
        if (ids.dtype is not (ScalarType.Int64 or ScalarType.Int32))
            throw new ArgumentException($"token ids must be int64 (or int32), got {ids.dtype}; build them with dtype: ScalarType.Int64", paramName);
        if (ids.device_type != device.type || ids.device_index != device.index && device.type != DeviceType.CPU)
            throw new ArgumentException($"token ids are on {ids.device} but the model is on {device}; move them with .to(model's device)", paramName);
        if (ids.numel() == 0) return;
        using var min = ids.min();
        using var max = ids.max();
        var (lo, hi) = (min.item<long>(), max.item<long>());
        if (lo < 0 || hi >= vocabSize)
            throw new ArgumentException($"token id {(lo < 0 ? lo : hi)} is outside the vocabulary [0, {vocabSize})", paramName);
    }
}
