namespace LlmFromScratch.Data;

/// <summary>How far a download has got. <paramref name="Total"/> is null when the size is not known in advance.</summary>
public sealed record DownloadProgress(string File, long Received, long? Total);
