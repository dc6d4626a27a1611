using LlmFromScratch.Data;

namespace LlmFromScratch.Weights;

/// <summary>
/// Downloads OpenAI's GPT-2 weights (Hugging Face's <c>model.safetensors</c>) into the data cache, verified.
/// </summary>
/// <remarks>
/// These files are too large for the course's manifest to pin, so their checksum comes from Hugging Face itself:
/// its <c>resolve</c> URL answers with a redirect whose <c>X-Linked-ETag</c> header is the file's SHA-256 and
/// <c>X-Linked-Size</c> its length (the Git LFS object id). The download is checked against both, then the hash is
/// recorded beside the file as <c>model.safetensors.sha256</c> (sha256sum's format). Later calls re-hash the cached
/// file once per process against that record, with no network; a file you copied in by hand (no record) is
/// accepted when its safetensors header is valid, and its hash recorded then. A file that fails either check is
/// moved aside as <c>.bad-TIMESTAMP</c> and downloaded again.
/// </remarks>
public static class Gpt2Weights
{
    private static readonly HashSet<string> _verified = new(StringComparer.Ordinal);

    /// <summary>The path of a size's weights in the cache, downloading them first if needed (about 0.5/1.4/3.1/6.4 GB).</summary>
    /// <param name="name">A size name (see <see cref="Gpt2Sizes.Get"/>): <c>gpt2</c>, <c>gpt2-medium</c>, <c>gpt2-large</c>, <c>gpt2-xl</c>.</param>
    /// <param name="progress">Receives download progress.</param>
    /// <param name="cancel">Stops the download; the partial file is kept and resumed next time.</param>
    /// <exception cref="DataSetUnavailableException">Offline or the download failed; the message says where to put the file by hand.</exception>
    /// <exception cref="InvalidWeightsFileException">The server sent bytes matching its checksum that are not a safetensors file.</exception>
    public static string Download(string name, IProgress<DownloadProgress>? progress = null, CancellationToken cancel = default) =>
        Download(Gpt2Sizes.Get(name), progress, cancel);

    /// <inheritdoc cref="Download(string, IProgress{DownloadProgress}?, CancellationToken)"/>
    /// <param name="size">The size; tests use <c>with</c> to point <see cref="Gpt2Size.Url"/> and <see cref="Gpt2Size.CachePath"/> elsewhere.</param>
    /// <param name="progress">Receives download progress.</param>
    /// <param name="cancel">Stops the download; the partial file is kept and resumed next time.</param>
    public static string Download(Gpt2Size size, IProgress<DownloadProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(size);
        var path = Path.GetFullPath(size.CachePath);
        var record = path + ".sha256";
        lock (_verified)
        {
            if (_verified.Contains(path) && File.Exists(path)) return path;
        }
        if (File.Exists(path))
        {
            if (IsIntact(path, record)) return Remember(path);
            var stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
            File.Move(path, $"{path}.bad-{stamp}", overwrite: true);
            File.Delete(record);
        }

        // Downloaded under a staging name and renamed only once the header is valid too, so the cache never holds
        // a damaged file under the final name (the staging name's .part is what a later call resumes).
        var staging = path + ".unchecked";
        var relabelled = progress is null ? null : new Relabelled(progress, $"{size.Name}/{Path.GetFileName(path)}");
        string sha;
        try
        {
            (_, sha) = Downloader.Download([size.Url], staging, expectedSize: null, expectedSha256: null, relabelled, cancel,
                useServerChecksums: true);
        }
        catch (DataSetUnavailableException e)
        {
            // The downloader names the staging file; a file copied in by hand belongs under the final name.
            throw new DataSetUnavailableException(e.Message.Replace(Path.GetFileName(staging), Path.GetFileName(path), StringComparison.Ordinal), e);
        }
        try
        {
            using (SafeTensorsFile.Open(staging)) { }
        }
        catch (InvalidWeightsFileException)
        {
            File.Delete(staging);
            throw;
        }
        WriteRecord(record, sha, path);
        File.Move(staging, path, overwrite: true);
        return Remember(path);
    }

    private static bool IsIntact(string path, string record)
    {
        if (File.Exists(record))
        {
            var recorded = File.ReadAllText(record).Split(' ', 2)[0].Trim();
            return FileHash.Compute(path).Sha256 == recorded;
        }
        try
        {
            using (SafeTensorsFile.Open(path)) { }
        }
        catch (InvalidWeightsFileException)
        {
            return false;
        }
        WriteRecord(record, FileHash.Compute(path).Sha256, path);
        return true;
    }

    private static void WriteRecord(string record, string sha, string path)
    {
        var temp = record + ".tmp";
        File.WriteAllText(temp, $"{sha}  {Path.GetFileName(path)}\n");
        File.Move(temp, record, overwrite: true);
    }

    /// <summary>Reports progress under the file's cache name rather than its staging name.</summary>
    private sealed class Relabelled(IProgress<DownloadProgress> inner, string file) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => inner.Report(value with { File = file });
    }

    private static string Remember(string path)
    {
        lock (_verified) _verified.Add(path);
        return path;
    }
}
