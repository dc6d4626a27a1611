using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace LlmFromScratch.Data;

/// <summary>
/// Downloads a file to a temporary name beside its destination, checks size and SHA-256, then renames it
/// into place. The final name only ever holds a complete, verified file. A partial download is kept as
/// <c>.part</c> and resumed with an HTTP range request on the next try.
/// </summary>
/// <remarks>
/// Failure handling: each URL gets <see cref="AttemptsPerUrl"/> tries. A dropped connection or a server that goes
/// quiet for <see cref="StallTimeout"/> keeps the <c>.part</c> and the next try resumes it (<c>Range</c>, guarded by
/// <c>If-Range</c> when the server gave an ETag); a server that ignores the range restarts from byte 0, and one that
/// answers with the wrong range is not trusted. Wrong bytes (size or hash) delete the <c>.part</c>. HTTP 4xx other
/// than 408/429 skips to the next URL at once. Cancellation stops promptly, even mid-read, and keeps the <c>.part</c>.
/// Redirects are followed here (up to 10, never from https to http) so that headers on the way, such as Hugging
/// Face's <c>X-Linked-ETag</c>, can be read.
/// </remarks>
public static partial class Downloader
{
    /// <summary>HTTP client used for every download; tests point URLs at a loopback server. Redirects are followed by the downloader itself.</summary>
    public static HttpClient Http { get; set; } = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(30),
    }) { Timeout = TimeSpan.FromMinutes(30) };

    /// <summary>A response that sends nothing for this long (headers or body) counts as a dropped connection.</summary>
    public static TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Tries per URL before moving to the next one.</summary>
    public const int AttemptsPerUrl = 3;

    private const int MaxRedirects = 10;

    /// <summary>Downloads the first URL that yields the expected bytes.</summary>
    /// <param name="urls">Candidates (absolute http or https), tried in order.</param>
    /// <param name="destination">Final path; its folder is created. An existing file there is replaced only by a verified download.</param>
    /// <param name="expectedSize">Exact size in bytes, or null if unknown.</param>
    /// <param name="expectedSha256">Hex SHA-256 (64 digits, any case), or null to accept any content (only for files with no published hash).</param>
    /// <param name="progress">Receives progress reports: on the first bytes, then at most one per MiB, and a last one.</param>
    /// <param name="cancel">Stops the download; the partial file is kept for a later resume.</param>
    /// <param name="useServerChecksums">
    /// When <paramref name="expectedSha256"/> (or <paramref name="expectedSize"/>) is null, check against what the server
    /// itself advertises: an <c>X-Linked-ETag</c> or <c>ETag</c> that is 64 hex digits is taken as the SHA-256 (Hugging Face
    /// and Git LFS send the file's SHA-256 there), and <c>X-Linked-Size</c> as the size. This protects against truncation
    /// and corruption, not against a dishonest server. Off by default, since other servers put other hashes in ETags.
    /// </param>
    /// <returns>The size and lower-case hex SHA-256 of the verified file now at <paramref name="destination"/>.</returns>
    /// <exception cref="DataSetUnavailableException">Every URL failed; the message lists each failure and the manual fix.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was signalled.</exception>
    public static (long Size, string Sha256) Download(IReadOnlyList<string> urls, string destination, long? expectedSize, string? expectedSha256,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancel = default, bool useServerChecksums = false) =>
        // Task.Run keeps any single-threaded synchronization context (a notebook kernel's) out of the awaits.
        Task.Run(() => DownloadAsync(urls, destination, expectedSize, expectedSha256, progress, cancel, useServerChecksums), cancel)
            .GetAwaiter().GetResult();

    /// <inheritdoc cref="Download"/>
    public static async Task<(long Size, string Sha256)> DownloadAsync(IReadOnlyList<string> urls, string destination, long? expectedSize,
        string? expectedSha256, IProgress<DownloadProgress>? progress = null, CancellationToken cancel = default, bool useServerChecksums = false)
    {
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentException.ThrowIfNullOrEmpty(destination);
        if (urls.Count == 0) throw new ArgumentException("At least one URL is needed.", nameof(urls));
        if (expectedSize is < 0)
            throw new ArgumentOutOfRangeException(nameof(expectedSize), expectedSize, "The expected size must be 0 or more bytes.");
        if (expectedSha256 is not null && !Sha256Hex().IsMatch(expectedSha256))
            throw new ArgumentException($"'{expectedSha256}' is not a SHA-256 (64 hex digits).", nameof(expectedSha256));
        expectedSha256 = expectedSha256?.ToLowerInvariant();

        destination = Path.GetFullPath(destination);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var part = destination + ".part";
        var failures = new List<string>();
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                failures.Add($"{url}: not an absolute http(s) URL");
                continue;
            }
            var session = new Session(uri, useServerChecksums);
            for (var attempt = 1; attempt <= AttemptsPerUrl; attempt++)
            {
                try
                {
                    await FetchAsync(session, part, expectedSize, progress, cancel).ConfigureAwait(false);
                    var wantSize = expectedSize ?? session.AdvertisedSize;
                    var wantSha = expectedSha256 ?? session.AdvertisedSha256;
                    var (size, sha) = FileHash.Compute(part);
                    if (wantSize is { } ws && size != ws)
                        throw new InvalidDataException($"size {size} bytes, expected {ws}");
                    if (wantSha is not null && sha != wantSha)
                        throw new InvalidDataException($"sha256 {sha}, expected {wantSha}" + (expectedSha256 is null ? " (as the server advertised)" : ""));
                    File.Move(part, destination, overwrite: true);
                    return (size, sha);
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception e) when (IsDownloadFailure(e))
                {
                    failures.Add($"{url} (try {attempt}): {Describe(e)}");
                    // Bad bytes cannot be resumed; a dropped connection can (the .part stays).
                    if (e is InvalidDataException) DeleteQuietly(part);
                    if (e is HttpRequestException { StatusCode: { } status } && IsPermanent(status)) break;
                    if (attempt < AttemptsPerUrl)
                        await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), cancel).ConfigureAwait(false);
                }
            }
        }
        throw new DataSetUnavailableException(
            $"Could not download {Path.GetFileName(destination)}.\n  " + string.Join("\n  ", failures) +
            $"\nIf this machine is offline, download it elsewhere from {urls[0]}" +
            $"\nand copy it to {destination}" +
            (expectedSha256 is null ? "." : $" (sha256 {expectedSha256})."));
    }

    /// <summary>What the downloader learned about one URL across its tries.</summary>
    private sealed class Session(Uri uri, bool useServerChecksums)
    {
        public Uri Uri { get; } = uri;
        public bool UseServerChecksums { get; } = useServerChecksums;
        public EntityTagHeaderValue? ETag { get; set; }
        public string? AdvertisedSha256 { get; set; }
        public long? AdvertisedSize { get; set; }
    }

    private static async Task FetchAsync(Session session, string part, long? expectedSize, IProgress<DownloadProgress>? progress, CancellationToken cancel)
    {
        var name = Path.GetFileName(part[..^".part".Length]);
        var have = File.Exists(part) ? new FileInfo(part).Length : 0;
        if (expectedSize is { } size && have > size) { File.Delete(part); have = 0; }
        // A complete .part left by a crash before the rename needs no network: the caller verifies it.
        if (expectedSize is { } full && have == full && have > 0) return;

        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        stall.CancelAfter(StallTimeout);
        try
        {
            using var response = await SendAsync(session, have, stall.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
            {
                // The .part is at least as long as the file: complete if the server's total says so, else start over.
                if (response.Content.Headers.ContentRange?.Length == have) return;
                File.Delete(part);
                throw new IOException($"the server rejected resuming at byte {have}; starting over");
            }
            if (!response.IsSuccessStatusCode)
                throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);

            long? total;
            if (have > 0 && response.StatusCode == HttpStatusCode.PartialContent)
            {
                var range = response.Content.Headers.ContentRange;
                if (range?.From != have)
                {
                    File.Delete(part);
                    throw new IOException($"asked for bytes from {have}, the server sent a range from {range?.From?.ToString(CultureInfo.InvariantCulture) ?? "?"}; starting over");
                }
                total = range.Length ?? (response.Content.Headers.ContentLength is { } rest ? have + rest : null);
            }
            else
            {
                have = 0; // a 200 to a range request means the server ignored the range: it sends the whole file
                total = response.Content.Headers.ContentLength;
            }
            if (expectedSize is { } want && total is { } announced && announced != want)
                throw new InvalidDataException($"the server announces {announced} bytes, expected {want}");
            if (session.AdvertisedSize is { } advertised && total is { } t2 && t2 != advertised)
                throw new InvalidDataException($"the server announces {t2} bytes but advertised {advertised}");

            var limit = expectedSize ?? session.AdvertisedSize ?? total;
            await using var source = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
            await using var target = new FileStream(part, have > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 16];
            long received = have, reported = -1;
            while (true)
            {
                stall.CancelAfter(StallTimeout);
                int n;
                try
                {
                    n = await source.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    throw new IOException($"connection closed after {received} of {total?.ToString(CultureInfo.InvariantCulture) ?? "?"} bytes ({e.Message})", e);
                }
                if (n == 0) break;
                if (limit is { } max && received + n > max)
                    throw new InvalidDataException($"the server sent more than the expected {max} bytes");
                await target.WriteAsync(buffer.AsMemory(0, n), cancel).ConfigureAwait(false);
                received += n;
                if (reported < 0 || received - reported >= 1 << 20) { progress?.Report(new(name, received, total)); reported = received; }
            }
            await target.FlushAsync(cancel).ConfigureAwait(false);
            target.Flush(flushToDisk: true);
            progress?.Report(new(name, received, total));
            if (total is { } expectedTotal && received != expectedTotal)
                throw new IOException($"connection closed after {received} of {expectedTotal} bytes");
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested && stall.IsCancellationRequested)
        {
            throw new IOException($"the server sent nothing for {StallTimeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>Sends the GET (with a range to resume), following redirects and collecting the checksum headers on the way.</summary>
    private static async Task<HttpResponseMessage> SendAsync(Session session, long have, CancellationToken cancel)
    {
        var uri = session.Uri;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (have > 0)
            {
                request.Headers.Range = new RangeHeaderValue(have, null);
                if (session.ETag is { IsWeak: false } etag) request.Headers.IfRange = new RangeConditionHeaderValue(etag);
            }
            var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false);
            Observe(session, response, firstHop: hop == 0);
            if ((int)response.StatusCode is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
            {
                response.Dispose();
                var next = new Uri(uri, location);
                if (hop >= MaxRedirects) throw new HttpRequestException($"more than {MaxRedirects} redirects from {session.Uri}");
                if (next.Scheme != Uri.UriSchemeHttps && (next.Scheme != Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
                    throw new HttpRequestException($"refusing a redirect from {uri.Scheme} to {next}");
                uri = next;
                continue;
            }
            return response;
        }
    }

    /// <summary>Remembers the validator and any advertised SHA-256/size (the first hop that names them wins: the origin, not a CDN).</summary>
    private static void Observe(Session session, HttpResponseMessage response, bool firstHop)
    {
        if (response.IsSuccessStatusCode && response.Headers.ETag is { } etag) session.ETag = etag;
        if (!session.UseServerChecksums) return;
        if (session.AdvertisedSha256 is null)
        {
            var linked = response.Headers.TryGetValues("X-Linked-ETag", out var values) ? values.FirstOrDefault() : null;
            // A plain ETag counts only when the URL itself answered: a CDN behind a redirect may put another
            // 64-hex digest there (Hugging Face's Xet storage has its own hash).
            var candidate = Unquote(linked) ?? (firstHop && response.IsSuccessStatusCode ? Unquote(response.Headers.ETag?.Tag) : null);
            if (candidate is not null && Sha256Hex().IsMatch(candidate)) session.AdvertisedSha256 = candidate.ToLowerInvariant();
        }
        if (session.AdvertisedSize is null && response.Headers.TryGetValues("X-Linked-Size", out var sizes) &&
            long.TryParse(sizes.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var linkedSize))
            session.AdvertisedSize = linkedSize;
    }

    private static string? Unquote(string? tag) => tag?.Trim().TrimStart('W', '/').Trim('"');

    private static bool IsPermanent(HttpStatusCode status) =>
        (int)status is >= 400 and < 500 && status is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);

    private static bool IsDownloadFailure(Exception e) =>
        e is HttpRequestException or IOException or InvalidDataException or OperationCanceledException or NotSupportedException;

    private static string Describe(Exception e) =>
        e is OperationCanceledException ? $"timed out ({e.Message})" : e.Message;

    private static void DeleteQuietly(string path)
    {
        try { File.Delete(path); } catch (IOException) { }
    }

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Hex();
}
