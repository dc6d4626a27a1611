namespace LlmFromScratch.Finetuning;

/// <summary>
/// Cheap, offline overlap scores between a model response and the reference output — no judge model needed.
/// Both work on words: lower-cased runs of letters and digits (everything else separates words).
/// </summary>
public static class ResponseMetrics
{
    /// <summary>The words the metrics compare: lower-cased maximal runs of letters and digits.</summary>
    public static IReadOnlyList<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0)
            {
                words.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }
        return words;
    }

    /// <summary>
    /// Word-level F1 (as in SQuAD): the words both texts share, counted with multiplicity, give precision
    /// (shared / response words) and recall (shared / reference words); F1 = 2PR / (P + R). 1 when both are empty,
    /// 0 when only one is.
    /// </summary>
    public static double TokenF1(string response, string reference)
    {
        var r = Words(response);
        var g = Words(reference);
        if (r.Count == 0 || g.Count == 0) return r.Count == g.Count ? 1.0 : 0.0;
        var counts = g.GroupBy(w => w).ToDictionary(x => x.Key, x => x.Count());
        var shared = 0;
        foreach (var w in r)
        {
            if (counts.TryGetValue(w, out var c) && c > 0) { shared++; counts[w] = c - 1; }
        }
        return F1(shared, r.Count, g.Count);
    }

    /// <summary>
    /// ROUGE-L F-measure: the longest common word subsequence (order kept, gaps allowed) gives precision
    /// (LCS / response words) and recall (LCS / reference words); F = 2PR / (P + R). 1 when both are empty,
    /// 0 when only one is.
    /// </summary>
    public static double RougeL(string response, string reference)
    {
        var r = Words(response);
        var g = Words(reference);
        if (r.Count == 0 || g.Count == 0) return r.Count == g.Count ? 1.0 : 0.0;
        return F1(LongestCommonSubsequence(r, g), r.Count, g.Count);
    }

    private static int LongestCommonSubsequence(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (var i = 1; i <= a.Count; i++)
        {
            for (var j = 1; j <= b.Count; j++)
                current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : Math.Max(previous[j], current[j - 1]);
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }

    private static double F1(int overlap, int responseCount, int referenceCount)
    {
        if (overlap == 0) return 0.0;
        var precision = (double)overlap / responseCount;
        var recall = (double)overlap / referenceCount;
        return 2 * precision * recall / (precision + recall);
    }
}
