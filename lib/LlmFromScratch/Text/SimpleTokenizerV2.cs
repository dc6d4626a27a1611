using System.Text.RegularExpressions;

namespace LlmFromScratch.Text;

/// <summary>
/// The book's second tokenizer (section 2.4): like <see cref="SimpleTokenizerV1"/>, but a word missing from
/// the vocabulary becomes <see cref="Vocabulary.Unknown"/> instead of an error, and
/// <see cref="Vocabulary.EndOfText"/> in the text is kept as one token (the split pattern has no '&lt;' or '|').
/// </summary>
public sealed partial class SimpleTokenizerV2
{
    private readonly Vocabulary _vocab;
    private readonly int _unknownId;

    /// <summary>Creates a tokenizer over <paramref name="vocab"/>, which must contain <see cref="Vocabulary.Unknown"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="vocab"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="vocab"/> has no <c>&lt;|unk|&gt;</c> token.</exception>
    public SimpleTokenizerV2(Vocabulary vocab)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        if (!vocab.TryGetValue(Vocabulary.Unknown, out _unknownId))
            throw new ArgumentException(
                $"The vocabulary ({vocab.Count} tokens) has no {Vocabulary.Unknown} token to stand for unknown words; " +
                "build it with new Vocabulary(tokens, withSpecialTokens: true).", nameof(vocab));
        _vocab = vocab;
    }

    /// <summary>The vocabulary the ids index into.</summary>
    public Vocabulary Vocabulary => _vocab;

    /// <summary>Splits <paramref name="text"/> and maps each token to its id, unknown tokens to the id of <c>&lt;|unk|&gt;</c>.</summary>
    /// <returns>One id per token, in reading order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TextSplitter.Split(text)
            .Select(token => _vocab.TryGetValue(token, out var id) ? id : _unknownId)
            .ToArray();
    }

    /// <summary>Maps ids back to tokens, joins them with spaces and removes the space before punctuation.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = string.Join(" ", ids.Select(_vocab.GetToken));
        return SpaceBeforePunctuation().Replace(text, "$1");
    }

    // New: ':' and ';' join the list, as in the book's V2 (re.sub(r'\s+([,.:;?!"()\'])', r'\1', text)).
    [GeneratedRegex(@"\s+([,.:;?!""()\'])")]
    private static partial Regex SpaceBeforePunctuation();
}
