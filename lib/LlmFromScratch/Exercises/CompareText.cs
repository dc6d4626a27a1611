namespace LlmFromScratch.Exercises;

/// <summary>
/// Comparisons for the text side of the course (tokens, vocabularies, token-id windows), in the spirit of
/// <see cref="Compare"/>: each throws <see cref="Mismatch"/> saying where the first difference is and showing it,
/// with strings quoted and escaped so that a stray space or newline is visible.
/// </summary>
public static class CompareText
{
    /// <summary>Checks a list of string tokens, e.g. the output of a tokenizer's split.</summary>
    /// <param name="actual">The learner's tokens.</param>
    /// <param name="expected">The reference tokens.</param>
    /// <param name="what">What the list is, e.g. <c>tokens of "Hello, world."</c>.</param>
    public static void Tokens(IReadOnlyList<string> actual, IReadOnlyList<string> expected, string what)
    {
        if (actual is null) throw new Mismatch($"{what}: got null, expected {expected.Count} tokens");
        for (var i = 0; i < Math.Min(actual.Count, expected.Count); i++)
        {
            if (actual[i] != expected[i])
                throw new Mismatch(
                    $"{what}: token {i} is {Quote(actual[i])}, expected {Quote(expected[i])} " +
                    $"(got {List(actual, i)}, expected {List(expected, i)})");
        }
        if (actual.Count != expected.Count)
        {
            var at = Math.Min(actual.Count, expected.Count);
            throw new Mismatch(
                $"{what}: {actual.Count} tokens, expected {expected.Count}; the first {at} agree, then " +
                (actual.Count > at ? $"you have the extra token {Quote(actual[at])}" : $"{Quote(expected[at])} is missing"));
        }
    }

    /// <summary>Checks rows of values (windows of token ids, contexts), row by row.</summary>
    /// <param name="actual">The learner's rows.</param>
    /// <param name="expected">The reference rows.</param>
    /// <param name="what">What the rows are, e.g. "inputs".</param>
    /// <param name="rowName">What one row is called in the message, e.g. "window".</param>
    public static void Rows<T>(IReadOnlyList<IReadOnlyList<T>> actual, IReadOnlyList<IReadOnlyList<T>> expected, string what, string rowName)
    {
        if (actual is null) throw new Mismatch($"{what}: got null, expected {expected.Count} {rowName}s");
        if (actual.Count != expected.Count) throw new Mismatch($"{what}: {actual.Count} {rowName}s, expected {expected.Count}");
        for (var r = 0; r < actual.Count; r++)
        {
            var (got, want) = (actual[r], expected[r]);
            if (got is null) throw new Mismatch($"{what}, {rowName} {r}: got null, expected {List(want)}");
            if (got.Count != want.Count)
                throw new Mismatch($"{what}, {rowName} {r}: {got.Count} items, expected {want.Count} (got {List(got)}, expected {List(want)})");
            for (var i = 0; i < got.Count; i++)
                if (!EqualityComparer<T>.Default.Equals(got[i], want[i]))
                    throw new Mismatch(
                        $"{what}, {rowName} {r}: first difference at index {i}: got {got[i]}, expected {want[i]} " +
                        $"(got {List(got, i)}, expected {List(want, i)})");
        }
    }

    /// <summary>
    /// Checks a token → id map: same size, and every reference token with the same id. The first difference is
    /// reported in id order, with the tokens around that id in both maps.
    /// </summary>
    /// <param name="actual">The learner's map.</param>
    /// <param name="expected">The reference map, e.g. a <see cref="Text.Vocabulary"/>.</param>
    /// <param name="what">What the map is, e.g. "vocabulary of 12 tokens".</param>
    public static void Vocabularies(IReadOnlyDictionary<string, int> actual, IReadOnlyDictionary<string, int> expected, string what)
    {
        if (actual is null) throw new Mismatch($"{what}: got null, expected {expected.Count} entries");
        var wantInOrder = expected.OrderBy(e => e.Value).Select(e => e.Key).ToList();
        foreach (var (token, id) in expected.OrderBy(e => e.Value))
        {
            if (!actual.TryGetValue(token, out var got))
                throw new Mismatch($"{what}: {Quote(token)} is missing; it should have id {id}");
            if (got != id)
            {
                var gotInOrder = actual.OrderBy(e => e.Value).Select(e => e.Key).ToList();
                throw new Mismatch(
                    $"{what}: {Quote(token)} has id {got}, expected {id} " +
                    $"(your tokens by id: {List(gotInOrder, id)}; expected: {List(wantInOrder, id)})");
            }
        }
        if (actual.Count != expected.Count)
        {
            var extra = actual.Keys.FirstOrDefault(k => !expected.ContainsKey(k));
            throw new Mismatch($"{what}: {actual.Count} entries, expected {expected.Count}" +
                               (extra is null ? "" : $"; {Quote(extra)} should not be in it"));
        }
    }

    /// <summary>A string in single quotes with control characters escaped: <c>'a\nb'</c>.</summary>
    public static string Quote(string? s) =>
        s is null ? "null" : "'" + s.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t").Replace("'", "\\'") + "'";

    /// <summary>
    /// A list as Python prints it, shortened to a few items around <paramref name="focus"/> when it is long:
    /// <c>[… 'is', 'this', '--', …]</c>.
    /// </summary>
    public static string List<T>(IReadOnlyList<T> items, int focus = 0)
    {
        const int around = 3;
        var from = Math.Max(0, Math.Min(focus, items.Count) - around);
        var to = Math.Min(items.Count, Math.Max(focus, 0) + around + 1);
        var shown = Enumerable.Range(from, to - from).Select(i => items[i] is string s ? Quote(s) : $"{items[i]}");
        return "[" + (from > 0 ? "…, " : "") + string.Join(", ", shown) + (to < items.Count ? ", …" : "") + "]";
    }
}
