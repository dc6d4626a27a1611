using System.IO.Compression;
using System.Text;
using LlmFromScratch.Data;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// The UCI SMS Spam Collection (chapter 6): download, unzip, and read it exactly as the book's
/// <c>pandas.read_csv(path, sep="\t", header=None, names=["Label", "Text"])</c> does.
/// </summary>
/// <remarks>
/// The file has 5574 lines but pandas yields 5572 rows (4825 ham, 747 spam): one message starts with a
/// double quote, so pandas reads a quoted field that runs across the next two lines to the next closing
/// quote. <see cref="Parse"/> reproduces that rule instead of splitting lines, so the counts match the book.
/// </remarks>
public static class SmsSpamCollection
{
    /// <summary>Where the book downloads the zip: UCI first, then the book's backup copy.</summary>
    public static readonly IReadOnlyList<string> Urls =
    [
        "https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip",
        "https://f001.backblazeb2.com/file/LLMs-from-scratch/sms%2Bspam%2Bcollection.zip",
    ];

    /// <summary>The data file's name inside the zip.</summary>
    public const string ZipMember = "SMSSpamCollection";

    /// <summary>The extracted file's path relative to the data cache (the book renames the member to <c>.tsv</c>).</summary>
    public static readonly string RelativePath = Path.Combine("sms_spam_collection", "SMSSpamCollection.tsv");

    /// <summary>
    /// Returns the path of <c>SMSSpamCollection.tsv</c> in the data cache, downloading and unzipping it first if needed.
    /// Neither UCI nor the book publishes a size or hash for the zip or the file, so the download is not verified
    /// (only <see cref="Parse"/>'s format checks and the row counts catch a wrong file).
    /// </summary>
    /// <param name="progress">Receives download progress.</param>
    /// <param name="cacheDirectory">Data cache folder; default <see cref="DataSets.CacheDirectory"/>.</param>
    /// <param name="urls">Where to download the zip from; default <see cref="Urls"/>.</param>
    /// <exception cref="DataSetUnavailableException">Offline, every URL failed, or the zip has no <c>SMSSpamCollection</c>.</exception>
    public static string Ensure(IProgress<DownloadProgress>? progress = null, string? cacheDirectory = null, IReadOnlyList<string>? urls = null)
    {
        var cache = cacheDirectory ?? DataSets.CacheDirectory;
        var tsv = Path.Combine(cache, RelativePath);
        if (File.Exists(tsv)) return tsv;
        var zip = Path.Combine(cache, "sms_spam_collection.zip");
        if (!File.Exists(zip)) Downloader.Download(urls ?? Urls, zip, expectedSize: null, expectedSha256: null, progress);
        ExtractMember(zip, tsv);
        return tsv;
    }

    /// <summary>Reads the tab-separated file into (text, label) rows; see <see cref="Parse"/> for the rules.</summary>
    /// <exception cref="InvalidDataException">A malformed row; the message names the file and line.</exception>
    public static IReadOnlyList<LabeledText> Read(string path)
    {
        string content;
        try
        {
            // Strict UTF-8 like pandas' default: a mis-encoded file is an error, not silent replacement characters.
            content = File.ReadAllText(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path}: not valid UTF-8 ({e.Message})", e);
        }
        try
        {
            return Parse(content);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Parses the file's text with pandas' default CSV rules for a tab separator: a field that starts with
    /// <c>"</c> is quoted and runs, across tabs and line breaks, to the next <c>"</c> not followed by another
    /// <c>"</c> (<c>""</c> is an escaped quote); text after the closing quote up to the next tab or line break is
    /// appended as is; any other field ends at a tab or line break (a quote inside it is literal). Lines end with
    /// LF, CRLF or CR; empty (or space-only) lines are skipped; the last line may lack a line break.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// A row without exactly two fields, a label other than <c>ham</c>/<c>spam</c>, an empty text, or a quote
    /// left open at the end of the file; the message names the line the row starts on.
    /// </exception>
    public static IReadOnlyList<LabeledText> Parse(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var rows = new List<LabeledText>();
        var s = content.StartsWith('\uFEFF') ? content[1..] : content;
        int i = 0, line = 1;
        var fields = new List<string>();
        var field = new StringBuilder();
        while (i < s.Length)
        {
            if (IsBlankLine(s, i, out var next)) { i = next; line++; continue; }
            var rowLine = line;
            fields.Clear();
            while (true)
            {
                field.Clear();
                if (i < s.Length && s[i] == '"') i = ReadQuoted(s, i, field, ref line, rowLine);
                while (i < s.Length && s[i] is not ('\t' or '\n' or '\r')) field.Append(s[i++]);
                fields.Add(field.ToString());
                if (i < s.Length && s[i] == '\t') { i++; continue; }
                i = SkipLineBreak(s, i);
                line++;
                break;
            }
            rows.Add(ToRow(fields, rowLine));
        }
        return rows;
    }

    /// <summary>Reads a quoted field starting at the opening quote; returns the index after the closing quote.</summary>
    private static int ReadQuoted(string s, int start, StringBuilder field, ref int line, int rowLine)
    {
        var i = start + 1;
        while (true)
        {
            if (i >= s.Length)
                throw new InvalidDataException($"line {rowLine}: a quoted field opened here is never closed (end of file inside a quote)");
            var c = s[i];
            if (c == '"')
            {
                if (i + 1 < s.Length && s[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                return i + 1;
            }
            if (c == '\n' || (c == '\r' && (i + 1 >= s.Length || s[i + 1] != '\n'))) line++;
            field.Append(c);
            i++;
        }
    }

    private static bool IsBlankLine(string s, int i, out int next)
    {
        var j = i;
        while (j < s.Length && s[j] == ' ') j++;
        next = SkipLineBreak(s, j);
        return j == s.Length || s[j] is '\n' or '\r';
    }

    private static int SkipLineBreak(string s, int i)
    {
        if (i < s.Length && s[i] == '\r') i++;
        if (i < s.Length && s[i] == '\n') i++;
        return i;
    }

    private static LabeledText ToRow(List<string> fields, int line)
    {
        if (fields.Count != 2)
            throw new InvalidDataException($"line {line}: expected 2 tab-separated fields (label, text), found {fields.Count}");
        if (fields[0] is not ("ham" or "spam"))
            throw new InvalidDataException($"line {line}: label '{fields[0]}' is neither 'ham' nor 'spam'");
        if (fields[1].Length == 0)
            throw new InvalidDataException($"line {line}: the message text is empty");
        return new LabeledText(fields[1], SpamLabel.Parse(fields[0]));
    }

    private static void ExtractMember(string zip, string destination)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var temp = destination + ".tmp";
        try
        {
            using var archive = ZipFile.OpenRead(zip);
            var entry = archive.Entries.FirstOrDefault(e => e.Name == ZipMember)
                ?? throw new DataSetUnavailableException(
                    $"{zip} has no member '{ZipMember}' (it has: {string.Join(", ", archive.Entries.Select(e => e.FullName))}). " +
                    "Delete it and run again to download it anew.");
            entry.ExtractToFile(temp, overwrite: true);
        }
        catch (InvalidDataException e)
        {
            // A truncated or non-zip download: move it aside so the next call downloads again.
            var bad = zip + $".bad-{DateTime.UtcNow:yyyyMMddHHmmss}";
            File.Move(zip, bad, overwrite: true);
            throw new DataSetUnavailableException($"{zip} is not a readable zip archive ({e.Message}); moved it to {bad}. Run again to download it anew.", e);
        }
        File.Move(temp, destination, overwrite: true);
    }
}
