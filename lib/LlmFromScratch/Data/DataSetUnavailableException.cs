namespace LlmFromScratch.Data;

/// <summary>A data file could not be obtained: every URL failed (offline, HTTP error, wrong size or hash).</summary>
public sealed class DataSetUnavailableException(string message, Exception? inner = null) : IOException(message, inner);
