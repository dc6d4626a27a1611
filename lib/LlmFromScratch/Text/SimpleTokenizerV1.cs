using System.Text.RegularExpressions;

namespace LlmFromScratch.Text;

/// <summary>
/// The book's first tokenizer (section 2.3): text → tokens with <see cref="TextSplitter.Pattern"/> → ids
/// through a <see cref="Vocabulary"/>, and back. It knows only the words of the text its vocabulary was
/// built from; <see cref="SimpleTokenizerV2"/> adds <c>&lt;|unk|&gt;</c> for the rest.
/// </summary>
public sealed partial class SimpleTokenizerV1
{
    private readonly Vocabulary _vocab;

    /// <summary>Creates a tokenizer over <paramref name="vocab"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="vocab"/> is null.</exception>
    public SimpleTokenizerV1(Vocabulary vocab)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        _vocab = vocab;
    }

    /// <summary>The vocabulary the ids index into.</summary>
    public Vocabulary Vocabulary => _vocab;

    /// <summary>Splits <paramref name="text"/> and maps each token to its id.</summary>
    /// <returns>One id per token, in reading order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException">A token is not in the vocabulary; the message names it and suggests <see cref="SimpleTokenizerV2"/>.</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = TextSplitter.Split(text);
        var ids = new int[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            if (!_vocab.TryGetValue(tokens[i], out ids[i]))
                throw new ArgumentException(
                    $"'{tokens[i]}' (token {i} of the text) is not in the vocabulary of {_vocab.Count} tokens. " +
                    "SimpleTokenizerV1 can only encode words it has seen; SimpleTokenizerV2 maps unknown words to <|unk|>.",
                    nameof(text));
        }
        return ids;
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

    // The book's re.sub(r'\s+([,.?!"()\'])', r'\1', text).
    [GeneratedRegex(@"\s+([,.?!""()\'])")]
    private static partial Regex SpaceBeforePunctuation();
}
