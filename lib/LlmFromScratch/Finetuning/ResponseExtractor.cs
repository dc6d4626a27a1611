namespace LlmFromScratch.Finetuning;

/// <summary>Gets the answer out of a generated text, as the book does after <c>generate</c> in section 7.7.</summary>
public static class ResponseExtractor
{
    /// <summary>
    /// Drops the prompt from the start of <paramref name="generatedText"/>, ends the text at a literal
    /// <c>&lt;|endoftext|&gt;</c> if the generator kept one, removes the response header (<c>### Response:</c> for
    /// <see cref="PromptFormat.Alpaca"/>) and trims white space: the book's
    /// <c>generated_text[len(input_text):].replace("### Response:", "").strip()</c>.
    /// </summary>
    /// <param name="generatedText">Decoded model output, which starts with the prompt.</param>
    /// <param name="prompt">The prompt the model was given (<see cref="PromptFormat.FormatInput"/>).</param>
    /// <param name="format">The prompt format; default <see cref="PromptFormat.Alpaca"/>.</param>
    /// <exception cref="ArgumentException">The generated text does not start with the prompt.</exception>
    public static string Extract(string generatedText, string prompt, PromptFormat? format = null)
    {
        ArgumentNullException.ThrowIfNull(generatedText);
        ArgumentNullException.ThrowIfNull(prompt);
        if (!generatedText.StartsWith(prompt, StringComparison.Ordinal))
        {
            var shown = generatedText.Length > 60 ? generatedText[..60] + "…" : generatedText;
            throw new ArgumentException($"the generated text does not start with the prompt (it starts with \"{shown}\")", nameof(generatedText));
        }
        var rest = generatedText[prompt.Length..];
        var end = rest.IndexOf("<|endoftext|>", StringComparison.Ordinal);
        if (end >= 0) rest = rest[..end];
        return rest.Replace((format ?? PromptFormat.Alpaca).ResponseHeader, "", StringComparison.Ordinal).Trim();
    }
}
