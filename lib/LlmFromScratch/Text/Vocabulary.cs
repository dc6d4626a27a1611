using System.Collections;

namespace LlmFromScratch.Text;

/// <summary>
/// A token → id map (section 2.3): every distinct token, sorted ordinally (as Python's <c>sorted</c> sorts
/// strings, by code point), numbered from 0; optionally followed by the special tokens of section 2.4,
/// <see cref="EndOfText"/> and <see cref="Unknown"/>. Enumerates its entries in id order.
/// </summary>
public sealed class Vocabulary : IReadOnlyDictionary<string, int>
{
    /// <summary>Marks the boundary between two unrelated texts: <c>&lt;|endoftext|&gt;</c>.</summary>
    public const string EndOfText = "<|endoftext|>";

    /// <summary>Stands for any word the vocabulary does not contain: <c>&lt;|unk|&gt;</c>.</summary>
    public const string Unknown = "<|unk|>";

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;

    /// <summary>Builds the vocabulary of <paramref name="tokens"/> (duplicates allowed; each distinct token gets one id).</summary>
    /// <param name="tokens">Tokens as produced by <see cref="TextSplitter.Split(string)"/>.</param>
    /// <param name="withSpecialTokens">
    /// Append <see cref="EndOfText"/> and <see cref="Unknown"/> after the sorted tokens (the book's 1130 → 1132).
    /// If the text itself contained one of them, it is moved to the end rather than counted twice.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="tokens"/> contains a null or empty token.</exception>
    public Vocabulary(IEnumerable<string> tokens, bool withSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var distinct = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var token in tokens)
        {
            if (string.IsNullOrEmpty(token))
                throw new ArgumentException("Tokens must be non-empty strings; got a null or empty token.", nameof(tokens));
            distinct.Add(token);
        }
        if (withSpecialTokens)
        {
            distinct.Remove(EndOfText);
            distinct.Remove(Unknown);
        }
        _tokens = withSpecialTokens ? [.. distinct, EndOfText, Unknown] : [.. distinct];
        _ids = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        for (var id = 0; id < _tokens.Length; id++) _ids[_tokens[id]] = id;
    }

    /// <summary>Number of tokens, special tokens included.</summary>
    public int Count => _tokens.Length;

    /// <summary>The tokens in id order: <c>Tokens[id]</c> is the token with that id.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>The id of <paramref name="token"/>.</summary>
    /// <exception cref="KeyNotFoundException">The token is not in the vocabulary; the message names it.</exception>
    public int this[string token] =>
        _ids.TryGetValue(token, out var id)
            ? id
            : throw new KeyNotFoundException($"'{token}' is not in the vocabulary of {Count} tokens.");

    /// <summary>The token with id <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside [0, <see cref="Count"/>).</exception>
    public string GetToken(int id)
    {
        if ((uint)id >= (uint)_tokens.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is outside the vocabulary's range [0, {Count}).");
        return _tokens[id];
    }

    /// <summary>True when <paramref name="token"/> has an id.</summary>
    public bool ContainsKey(string token) => _ids.ContainsKey(token);

    /// <summary>Gets the id of <paramref name="token"/> if it has one.</summary>
    public bool TryGetValue(string token, out int id) => _ids.TryGetValue(token, out id);

    /// <summary>The tokens in id order.</summary>
    public IEnumerable<string> Keys => _tokens;

    /// <summary>The ids 0 … Count − 1.</summary>
    public IEnumerable<int> Values => Enumerable.Range(0, _tokens.Length);

    /// <summary>The (token, id) entries in id order.</summary>
    public IEnumerator<KeyValuePair<string, int>> GetEnumerator()
    {
        for (var id = 0; id < _tokens.Length; id++) yield return new(_tokens[id], id);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
