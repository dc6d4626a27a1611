namespace LlmFromScratch.Finetuning;

/// <summary>One classification example: a text and its class index (for spam data, <see cref="SpamLabel"/>).</summary>
/// <param name="Text">The message text as read from the data file.</param>
/// <param name="Label">Class index: 0 = ham (not spam), 1 = spam, as the book's <c>map({"ham": 0, "spam": 1})</c>.</param>
public sealed record LabeledText(string Text, int Label);
