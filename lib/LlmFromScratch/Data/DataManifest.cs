using System.Reflection;
using System.Text.Json;

namespace LlmFromScratch.Data;

/// <summary>The list of data sets the course can download, read from <c>data/datasets.json</c> (embedded in the library).</summary>
public static class DataManifest
{
    private static readonly Lazy<IReadOnlyList<DataSetInfo>> _all = new(Load);

    /// <summary>Every data set, in manifest order.</summary>
    public static IReadOnlyList<DataSetInfo> All => _all.Value;

    /// <summary>Looks a data set up by name.</summary>
    /// <exception cref="ArgumentException">No data set has that name; the message lists the names there are.</exception>
    public static DataSetInfo Get(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException(
            $"No data set named '{name}'. Known: {string.Join(", ", All.Select(d => d.Name))}.", nameof(name));

    private static IReadOnlyList<DataSetInfo> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("LlmFromScratch.datasets.json")
            ?? throw new InvalidOperationException("The data manifest is missing from the library build.");
        var doc = JsonSerializer.Deserialize<ManifestFile>(stream, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
            ?? throw new InvalidOperationException("The data manifest is empty.");
        return doc.DataSets;
    }

    private sealed record ManifestFile(List<DataSetInfo> DataSets);
}
