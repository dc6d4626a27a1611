namespace LlmFromScratch.Data;

/// <summary>
/// The data cache: where downloaded data sets live (<c>COURSE_DATA_DIR</c>, default
/// <c>~/.cache/llm-from-scratch/data</c>), and the one call notebooks use to get a file.
/// </summary>
public static class DataSets
{
    /// <summary>The cache folder: <c>$COURSE_DATA_DIR</c>, else <c>$XDG_CACHE_HOME/llm-from-scratch/data</c>, else <c>~/.cache/llm-from-scratch/data</c>.</summary>
    public static string CacheDirectory
    {
        get
        {
            var set = Environment.GetEnvironmentVariable("COURSE_DATA_DIR");
            if (!string.IsNullOrWhiteSpace(set)) return Path.GetFullPath(set);
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var cache = !string.IsNullOrWhiteSpace(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cache, "llm-from-scratch", "data");
        }
    }

    /// <summary>Where <paramref name="info"/> lives in the cache (whether or not it is there yet).</summary>
    public static string PathOf(DataSetInfo info) => Path.Combine(CacheDirectory, info.File);

    /// <summary>True when the file is in the cache with the manifest's size (the hash is checked by <c>Ensure</c>).</summary>
    public static bool IsCached(DataSetInfo info) => new FileInfo(PathOf(info)) is { Exists: true } f && f.Length == info.Size;

    /// <summary>
    /// Returns the local path of a data set, downloading and verifying it first if it is not cached.
    /// A cached file is re-hashed once per process, so a damaged cache is caught, not trusted.
    /// </summary>
    /// <exception cref="DataSetUnavailableException">Offline or every URL failed; the message names the file and where to put it.</exception>
    public static string Ensure(string name, IProgress<DownloadProgress>? progress = null) =>
        Ensure(DataManifest.Get(name), progress);

    /// <inheritdoc cref="Ensure(string, IProgress{DownloadProgress}?)"/>
    public static string Ensure(DataSetInfo info, IProgress<DownloadProgress>? progress = null)
    {
        var path = PathOf(info);
        lock (_verified)
        {
            if (_verified.Contains(path) && File.Exists(path)) return path;
        }
        if (File.Exists(path))
        {
            var (size, sha) = FileHash.Compute(path);
            if (size == info.Size && sha == info.Sha256)
            {
                lock (_verified) _verified.Add(path);
                return path;
            }
            // A wrong file under the final name is moved aside, never silently used or deleted.
            File.Move(path, path + $".bad-{DateTime.UtcNow:yyyyMMddHHmmss}", overwrite: true);
        }
        Downloader.Download(info.Urls, path, info.Size, info.Sha256, progress);
        lock (_verified) _verified.Add(path);
        return path;
    }

    private static readonly HashSet<string> _verified = new();
}
