namespace LlmFromScratch.Weights;

/// <summary>
/// A weights file is malformed: truncated, a header that lies about its length, bad JSON, an unknown dtype,
/// offsets outside the data or overlapping, a byte count that does not match dtype × shape. It is the only
/// exception a damaged or hostile file can cause; the message names the file, the problem and, where there
/// is one, the tensor. (An <see cref="IOException"/>: <see cref="InvalidDataException"/> is sealed.)
/// </summary>
public sealed class InvalidWeightsFileException : IOException
{
    /// <summary>Creates the exception; the message becomes "Invalid safetensors file 'PATH': PROBLEM".</summary>
    public InvalidWeightsFileException(string path, string problem, string? tensorName = null, Exception? inner = null)
        : base($"Invalid safetensors file '{path}': {problem}", inner)
    {
        FilePath = path;
        TensorName = tensorName;
    }

    /// <summary>The file that was being read.</summary>
    public string FilePath { get; }

    /// <summary>The tensor the problem concerns, or null when it concerns the whole file.</summary>
    public string? TensorName { get; }
}
