namespace LlmFromScratch.Finetuning;

/// <summary>A data set cut into training, validation and test portions.</summary>
/// <typeparam name="T">The example type.</typeparam>
public sealed record DataSplit<T>(IReadOnlyList<T> Train, IReadOnlyList<T> Validation, IReadOnlyList<T> Test);
