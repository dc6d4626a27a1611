using System.Security.Cryptography;

namespace LlmFromScratch.Data;

/// <summary>Size and SHA-256 of a file, streamed (never read whole into memory).</summary>
public static class FileHash
{
    /// <summary>Returns the file's length and its lower-case hex SHA-256.</summary>
    public static (long Size, string Sha256) Compute(string path)
    {
        using var stream = File.OpenRead(path);
        var hash = SHA256.HashData(stream);
        return (stream.Length, Convert.ToHexStringLower(hash));
    }
}
