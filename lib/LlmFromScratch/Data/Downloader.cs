using System.Security.Cryptography;

namespace LlmFromScratch.Data;

/// <summary>
/// Downloads a file to a temporary name beside its destination, checks size and SHA-256, then renames it
/// into place. The final name only ever holds a complete, verified file. A partial download is kept as
/// <c>.part</c> and resumed with an HTTP range request on the next try.
/// </summary>
public static class Downloader
{
    /// <summary>HTTP client used for every download; tests point URLs at a loopback server.</summary>
    public static HttpClient Http { get; set; } = new() { Timeout = TimeSpan.FromMinutes(30) };

    /// <summary>Downloads the first URL that yields the expected bytes.</summary>
    /// <param name="urls">Candidates, tried in order.</param>
    /// <param name="destination">Final path; its folder is created.</param>
    /// <param name="expectedSize">Exact size in bytes, or null if unknown.</param>
    /// <param name="expectedSha256">Lower-case hex SHA-256, or null to accept any content (only for files with no published hash).</param>
    /// <param name="progress">Receives progress reports.</param>
    /// <param name="cancel">Stops the download; the partial file is kept for a later resume.</param>
    /// <exception cref="DataSetUnavailableException">Every URL failed; the message lists each failure and the manual fix.</exception>
    public static void Download(IReadOnlyList<string> urls, string destination, long? expectedSize, string? expectedSha256,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(urls);
        if (urls.Count == 0) throw new ArgumentException("At least one URL is needed.", nameof(urls));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        var part = destination + ".part";
        var failures = new List<string>();
        foreach (var url in urls)
        {
            for (var attempt = 1; attempt <= 2; attempt++)
            {
                try
                {
                    Fetch(url, part, expectedSize, progress, cancel);
                    var (size, sha) = FileHash.Compute(part);
                    if (expectedSize is { } want && size != want)
                        throw new InvalidDataException($"size {size} bytes, expected {want}");
                    if (expectedSha256 is not null && sha != expectedSha256)
                        throw new InvalidDataException($"sha256 {sha}, expected {expectedSha256}");
                    File.Move(part, destination, overwrite: true);
                    return;
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException or TaskCanceledException)
                {
                    failures.Add($"{url}: {e.Message}");
                    // Bad bytes cannot be resumed; a dropped connection can (the .part stays).
                    if (e is InvalidDataException) File.Delete(part);
                }
            }
        }
        throw new DataSetUnavailableException(
            $"Could not download {Path.GetFileName(destination)}.\n  " + string.Join("\n  ", failures) +
            $"\nIf this machine is offline, download it elsewhere from {urls[0]}" +
            $"\nand copy it to {Path.GetFullPath(destination)}" +
            (expectedSha256 is null ? "." : $" (sha256 {expectedSha256})."));
    }

    private static void Fetch(string url, string part, long? expectedSize, IProgress<DownloadProgress>? progress, CancellationToken cancel)
    {
        var have = File.Exists(part) ? new FileInfo(part).Length : 0;
        if (expectedSize is { } size && have >= size) { File.Delete(part); have = 0; }
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0) request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(have, null);
        using var response = Http.Send(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        if (have > 0 && response.StatusCode != System.Net.HttpStatusCode.PartialContent) have = 0; // server ignored the range
        response.EnsureSuccessStatusCode();
        var total = response.Content.Headers.ContentLength is { } len ? len + have : expectedSize;
        using var source = response.Content.ReadAsStream(cancel);
        using var target = new FileStream(part, have > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write);
        var buffer = new byte[1 << 16];
        long received = have, reported = -1;
        int n;
        while ((n = source.Read(buffer, 0, buffer.Length)) > 0)
        {
            cancel.ThrowIfCancellationRequested();
            target.Write(buffer, 0, n);
            received += n;
            if (expectedSize is { } limit && received > limit)
                throw new InvalidDataException($"server sent more than the expected {limit} bytes");
            if (received - reported >= 1 << 20) { progress?.Report(new(Path.GetFileName(part[..^5]), received, total)); reported = received; }
        }
        progress?.Report(new(Path.GetFileName(part[..^5]), received, total));
        if (total is { } t && received != t)
            throw new IOException($"connection closed after {received} of {t} bytes");
    }
}
