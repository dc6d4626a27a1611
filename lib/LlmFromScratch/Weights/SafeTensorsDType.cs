using static TorchSharp.torch;

namespace LlmFromScratch.Weights;

/// <summary>The safetensors dtype names, their element sizes, and the TorchSharp types that can hold them.</summary>
internal static class SafeTensorsDType
{
    // Every byte-sized dtype of the format; the ones libtorch in TorchSharp has no type for map to null,
    // so such a file still opens and its other tensors stay readable.
    private static readonly Dictionary<string, (int Size, ScalarType? Type)> _byName = new(StringComparer.Ordinal)
    {
        ["BOOL"] = (1, ScalarType.Bool),
        ["U8"] = (1, ScalarType.Byte),
        ["I8"] = (1, ScalarType.Int8),
        ["F8_E5M2"] = (1, null),
        ["F8_E4M3"] = (1, null),
        ["I16"] = (2, ScalarType.Int16),
        ["U16"] = (2, null),
        ["F16"] = (2, ScalarType.Float16),
        ["BF16"] = (2, ScalarType.BFloat16),
        ["I32"] = (4, ScalarType.Int32),
        ["U32"] = (4, null),
        ["F32"] = (4, ScalarType.Float32),
        ["F64"] = (8, ScalarType.Float64),
        ["I64"] = (8, ScalarType.Int64),
        ["U64"] = (8, null),
    };

    /// <summary>Names a TorchSharp can read, for error messages.</summary>
    public static string SupportedNames => string.Join(", ", _byName.Where(p => p.Value.Type is not null).Select(p => p.Key));

    /// <summary>Element size in bytes, or false for a name the format does not define.</summary>
    public static bool TryGetSize(string name, out int size)
    {
        var found = _byName.TryGetValue(name, out var entry);
        size = entry.Size;
        return found;
    }

    /// <summary>The TorchSharp type for a format dtype, or null when TorchSharp has none.</summary>
    public static ScalarType? ToScalarType(string name) => _byName.TryGetValue(name, out var entry) ? entry.Type : null;

    /// <summary>The format's name for a TorchSharp type, or null when the format cannot store it (complex, quantized).</summary>
    public static string? FromScalarType(ScalarType type) =>
        _byName.FirstOrDefault(p => p.Value.Type == type).Key;
}
