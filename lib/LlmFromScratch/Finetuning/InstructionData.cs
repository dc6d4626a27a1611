using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlmFromScratch.Finetuning;

/// <summary>Loading and splitting chapter 7's instruction data (1100 entries → 935 / 55 / 110).</summary>
public static class InstructionData
{
    /// <summary>
    /// Reads a JSON array of entries with keys <c>instruction</c>, <c>input</c>, <c>output</c> (and optionally
    /// <c>model_response</c>), e.g. <c>DataSets.Ensure("instruction-data")</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a JSON array of entries, or an entry lacks instruction or output.</exception>
    public static IReadOnlyList<InstructionEntry> Load(string path)
    {
        List<InstructionEntry?>? entries;
        try
        {
            using var stream = File.OpenRead(path);
            entries = JsonSerializer.Deserialize<List<InstructionEntry?>>(stream);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a JSON array of instruction entries ({e.Message})", e);
        }
        if (entries is null) throw new InvalidDataException($"{path}: the file holds null, not an array of entries");
        var result = new List<InstructionEntry>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (e is null || e.Instruction is null || e.Output is null)
                throw new InvalidDataException($"{path}: entry {i} lacks 'instruction' or 'output'");
            result.Add(e.Input is null ? e with { Input = "" } : e);
        }
        return result;
    }

    /// <summary>
    /// Writes entries as a JSON array indented by 4 spaces (the book's <c>json.dump(test_data, file, indent=4)</c>),
    /// with <c>model_response</c> where it is set, e.g. <c>instruction-data-with-response.json</c>. The folder is
    /// created if needed; the file appears only when complete (written beside it, then renamed). Non-ASCII text is
    /// written as is, not as <c>\uXXXX</c> escapes. <see cref="Load"/> reads it back.
    /// </summary>
    public static void Save(string path, IReadOnlyList<InstructionEntry> entries)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(entries);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + $".tmp-{Guid.NewGuid():N}";
        try
        {
            using (var stream = File.Create(temp)) JsonSerializer.Serialize(stream, entries, _save);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static readonly JsonSerializerOptions _save = new()
    {
        WriteIndented = true,
        IndentSize = 4,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// The book's split, without shuffling: train = the first <c>floor(n·trainFraction)</c> entries, test = the next
    /// <c>floor(n·testFraction)</c>, validation = the rest. Note the order — test comes before validation in the file —
    /// so 1100 entries give train 935, validation 55, test 110.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fractions outside [0, 1] or summing to more than 1.</exception>
    public static DataSplit<InstructionEntry> Split(IReadOnlyList<InstructionEntry> data, double trainFraction = 0.85, double testFraction = 0.1)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (trainFraction is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(trainFraction), trainFraction, "must be in [0, 1]");
        if (testFraction < 0 || trainFraction + testFraction > 1)
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, $"must be >= 0 and at most 1 - trainFraction ({trainFraction})");
        var list = data.ToList();
        var trainPortion = (int)(list.Count * trainFraction);
        var testPortion = (int)(list.Count * testFraction);
        return new DataSplit<InstructionEntry>(
            Train: list[..trainPortion],
            Validation: list[(trainPortion + testPortion)..],
            Test: list[trainPortion..(trainPortion + testPortion)]);
    }
}
