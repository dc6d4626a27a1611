namespace LlmFromScratch.Data;

/// <summary>One downloadable file of the manifest (<c>data/datasets.json</c>).</summary>
/// <param name="Name">Short name used by <c>course data fetch NAME</c> and <c>DataSets.Ensure</c>.</param>
/// <param name="File">Path of the file inside the data cache.</param>
/// <param name="Description">What it is and where it comes from.</param>
/// <param name="Urls">Source URLs, tried in order (the first is the book's, later ones are backups).</param>
/// <param name="Size">Exact size in bytes.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the whole file.</param>
public sealed record DataSetInfo(string Name, string File, string Description, IReadOnlyList<string> Urls, long Size, string Sha256);
