using System.Text.RegularExpressions;

namespace LlmFromScratch.Text;

/// <summary>
/// The book's regular-expression tokenizer (section 2.2): split on whitespace and punctuation, keep the
/// punctuation as tokens of its own, drop the whitespace. Python's <c>re.split</c> and .NET's
/// <see cref="Regex.Split(string)"/> both return captured delimiters, so the same pattern gives the same tokens.
/// </summary>
public static partial class TextSplitter
{
    /// <summary>
    /// Section 2.2's first refinement, <c>([,.]|\s)</c>: commas and periods become tokens, but "--", "?" or a
    /// quote still stick to words.
    /// </summary>
    public const string SimplePattern = @"([,.]|\s)";

    /// <summary>
    /// The pattern the book keeps, <c>([,.:;?_!"()\']|--|\s)</c>, used by <see cref="SimpleTokenizerV1"/> and
    /// <see cref="SimpleTokenizerV2"/>. It has no '&lt;' or '|', so <c>&lt;|endoftext|&gt;</c> survives as one token.
    /// </summary>
    public const string Pattern = @"([,.:;?_!""()\']|--|\s)";

    [GeneratedRegex(Pattern)]
    private static partial Regex BookRegex();

    /// <summary>Splits <paramref name="text"/> with <see cref="Pattern"/>; whitespace-only pieces are dropped and the rest trimmed.</summary>
    /// <returns>The tokens in reading order, e.g. <c>"Hello, world."</c> → <c>["Hello", ",", "world", "."]</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static string[] Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Clean(BookRegex().Split(text));
    }

    /// <summary>Splits <paramref name="text"/> with any pattern (e.g. <see cref="SimplePattern"/>), dropping whitespace like <see cref="Split(string)"/>.</summary>
    /// <param name="text">The raw text.</param>
    /// <param name="pattern">A .NET regular expression; put the delimiters in a capturing group to keep them as tokens.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> or <paramref name="pattern"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> is not a valid regular expression.</exception>
    public static string[] Split(string text, string pattern)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(pattern);
        return Clean(Regex.Split(text, pattern));
    }

    // The book's `[item.strip() for item in result if item.strip()]`.
    private static string[] Clean(string[] pieces) =>
        pieces.Select(p => p.Trim()).Where(p => p.Length > 0).ToArray();
}
