using System.Text;
using LlmFromScratch.Data;
using LlmFromScratch.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Exercises;

/// <summary>
/// Chapter 2 (working with text data): the path from raw text to input embeddings, one piece per exercise, each
/// checked against <c>LlmFromScratch.Text</c> (or the book's embedding computation) on freshly generated text and ids.
/// </summary>
public static class Chapter02Exercises
{
    public static IEnumerable<Exercise> All =>
    [
        new("2.1", "the book's regex split: punctuation and -- become tokens, whitespace is dropped",
            "Regex.Split keeps what a capturing group matches: put the punctuation, -- and whitespace in one group, then drop pieces that are empty after Trim()",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var texts = new List<string> { "Hello, world. Is this-- a test?", "", " \n\t ", "<|endoftext|> it's \"quoted\" (yes); a_b! well-known—really:" };
                for (var i = 0; i < 6; i++) texts.Add(RandomText(random, random.Next(5, 60)));
                foreach (var text in texts)
                    CompareText.Tokens(Learner.Call<string[]>(answer, text), TextSplitter.Split(text), $"tokens of {Excerpt(text)}");
            }),
        new("2.2", "a vocabulary: each distinct token numbered from 0, in sorted order",
            "distinct tokens, sorted the way Python's sorted() compares strings (code point by code point, not by culture), numbered from 0",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                List<string[]> lists = [[], ["the", "The", "the", "a", "Zebra", "éclair", "e", "!", "--", "_"]];
                for (var i = 0; i < 4; i++) lists.Add(TextSplitter.Split(RandomText(random, random.Next(5, 80))));
                foreach (var tokens in lists)
                {
                    // One argument: a string[] would otherwise be taken as the params array itself.
                    var got = Learner.Call<IReadOnlyDictionary<string, int>>(answer, new object?[] { tokens.ToArray() });
                    CompareText.Vocabularies(got, new Vocabulary(tokens), $"vocabulary of {CompareText.List(tokens)} ({tokens.Length} tokens)");
                }
            }),
        new("2.3", "encoding with <|unk|>: text to ids through a Vocabulary, unknown words becoming <|unk|>",
            "split with TextSplitter.Split, then look each token up; a token the vocabulary lacks gets the id of Vocabulary.Unknown",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var book = new Vocabulary(TextSplitter.Split("In the sunlit terraces of the palace, do you like tea? It's the last."), withSpecialTokens: true);
                var cases = new List<(string Text, Vocabulary Vocab)>
                {
                    ("Hello, do you like tea? <|endoftext|> In the sunlit terraces of the palace.", book),
                    ("", book),
                    ("Completely unknown words only", book),
                };
                for (var i = 0; i < 4; i++)
                {
                    // Half of the words are known: the vocabulary comes from one random text, the encoded text mixes it with another.
                    var known = RandomText(random, random.Next(10, 60));
                    var vocab = new Vocabulary(TextSplitter.Split(known), withSpecialTokens: true);
                    var text = string.Join(" ", TextSplitter.Split(known).Concat(TextSplitter.Split(RandomText(random, 20))).OrderBy(_ => random.Next()).Take(40));
                    cases.Add((random.Next(2) == 0 ? text : text + " <|endoftext|> " + known, vocab));
                }
                foreach (var (text, vocab) in cases)
                {
                    var expected = new SimpleTokenizerV2(vocab).Encode(text);
                    var got = Learner.Call<int[]>(answer, text, vocab);
                    CompareIds(got, expected, text, vocab);
                }
            }),
        new("2.4", "the sliding window: (input, target) windows of maxLength ids, one every stride ids",
            "a window may start at i while i + maxLength < tokenIds.Length (its last target must exist); the targets are the inputs shifted by one",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(int N, int MaxLength, int Stride)> { (5, 4, 1), (9, 4, 5), (13, 4, 3), (12, 3, 3), (20, 2, 7) };
                for (var i = 0; i < 6; i++)
                {
                    var maxLength = random.Next(1, 9);
                    cases.Add((random.Next(maxLength + 1, 200), maxLength, random.Next(1, 11)));
                }
                foreach (var (n, maxLength, stride) in cases)
                {
                    var ids = Enumerable.Range(0, n).Select(_ => random.Next(Gpt2Tokenizer.VocabSize)).ToArray();
                    var dataset = new GptDatasetV1(ids, maxLength, stride);
                    var inputs = new List<long[]>();
                    var targets = new List<long[]>();
                    foreach (var (input, target) in dataset)
                    {
                        using (input)
                        using (target)
                        {
                            inputs.Add(input.data<long>().ToArray());
                            targets.Add(target.data<long>().ToArray());
                        }
                    }
                    var (gotInputs, gotTargets) = Learner.Call<(int[][], int[][])>(answer, ids.ToArray(), maxLength, stride);
                    var what = $"{n} token ids, maxLength {maxLength}, stride {stride}";
                    CompareText.Rows<long>(Widen(gotInputs), inputs, $"inputs ({what})", "window");
                    CompareText.Rows<long>(Widen(gotTargets), targets, $"targets ({what})", "window");
                }
            }),
        new("2.5", "input embeddings: token plus position embeddings for a (batch, t) tensor of ids",
            "look the ids up in tokEmb, look the positions 0 … t−1 up in posEmb, add (the positions broadcast over the batch)",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(int Vocab, int Dim, int Context, int Batch, int T)> { (6, 3, 4, 2, 4), (6, 3, 4, 2, 1), (50, 8, 6, 1, 3) };
                for (var i = 0; i < 3; i++)
                {
                    var context = random.Next(2, 17);
                    cases.Add((random.Next(10, 500), random.Next(2, 33), context, random.Next(1, 5), random.Next(1, context + 1)));
                }
                foreach (var (vocab, dim, context, batch, t) in cases)
                {
                    using var scope = NewDisposeScope();
                    using var tokEmb = nn.Embedding(vocab, dim);
                    using var posEmb = nn.Embedding(context, dim);
                    var ids = randint(0, vocab, [batch, t], dtype: int64);   // (batch, t)
                    Tensor expected;
                    using (no_grad())
                        expected = tokEmb.call(ids) + posEmb.call(arange(t));   // (batch, t, dim)
                    var got = Learner.Call<Tensor>(answer, ids.clone(), tokEmb, posEmb);
                    Compare.Tensors(got, expected,
                        $"input embeddings of ({batch}, {t}) ids, vocabulary {vocab}, dim {dim}, context length {context}");
                }
            }),
        new("2.6", "batches per epoch: CreateDataloaderV1 on the-verdict (dropLast) for any batchSize, maxLength and stride",
            "windows = number of start positions i = 0, stride, 2·stride, … with i + maxLength < the token count; dropLast keeps only full batches",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var ids = new Gpt2Tokenizer().Encode(File.ReadAllText(DataSets.Ensure("the-verdict")));
                var cases = new List<(int BatchSize, int MaxLength, int Stride)> { (8, 4, 4), (1, 4, 1), (8, 2, 2), (8, 8, 2), (2, 256, 128), (3, 5, 7) };
                for (var i = 0; i < 6; i++)
                    cases.Add((random.Next(1, 17), random.Next(1, 257), random.Next(1, 257)));
                foreach (var (batchSize, maxLength, stride) in cases)
                {
                    var dataset = new GptDatasetV1(ids, maxLength, stride);
                    var expected = DataLoader.Create(dataset, batchSize, dropLast: true).Count;
                    var got = Convert.ToInt64(Learner.Call<object>(answer, batchSize, maxLength, stride));
                    Compare.Values(got, (long)expected,
                        $"batches for batchSize {batchSize}, maxLength {maxLength}, stride {stride} ({ids.Length} tokens, {dataset.Count} windows)");
                }
            }),
    ];

    // Words with capitals, accents and apostrophes, the book's punctuation, and dashes the pattern must not split ("-", "—").
    private static readonly string[] Words =
        ["the", "The", "verdict", "Gisburn", "it", "s", "don", "t", "café", "Éclair", "zebra", "a", "I", "HAD", "well", "known", "tea"];
    private static readonly string[] Punctuation = [",", ".", ":", ";", "?", "_", "!", "\"", "(", ")", "'", "--", "-", "—", "<|endoftext|>"];
    private static readonly string[] Space = [" ", " ", " ", "  ", "\n", "\t", " \n "];

    /// <summary>A random text of about <paramref name="pieces"/> words and punctuation marks, sometimes without a space between them.</summary>
    private static string RandomText(Random random, int pieces)
    {
        var text = new StringBuilder();
        for (var i = 0; i < pieces; i++)
        {
            text.Append(random.Next(3) == 0 ? Punctuation[random.Next(Punctuation.Length)] : Words[random.Next(Words.Length)]);
            if (random.Next(3) > 0) text.Append(Space[random.Next(Space.Length)]);
        }
        return text.ToString();
    }

    private static string Excerpt(string text) => text.Length <= 60 ? CompareText.Quote(text) : CompareText.Quote(text[..57]) + "…";

    private static long[][] Widen(int[][]? rows) => rows?.Select(r => r?.Select(v => (long)v).ToArray()!).ToArray()!;

    private static void CompareIds(int[] got, int[] expected, string text, Vocabulary vocab)
    {
        var tokens = TextSplitter.Split(text);
        var what = $"ids of {Excerpt(text)}";
        if (got is null) throw new Mismatch($"{what}: got null, expected {expected.Length} ids");
        if (got.Length != expected.Length)
            throw new Mismatch($"{what}: {got.Length} ids, expected {expected.Length}, one per token of {CompareText.List(tokens)}");
        for (var i = 0; i < got.Length; i++)
        {
            if (got[i] == expected[i]) continue;
            var unknown = !vocab.ContainsKey(tokens[i]);
            throw new Mismatch(
                $"{what}: token {i} {CompareText.Quote(tokens[i])} got id {got[i]}, expected {expected[i]}" +
                (unknown ? $" (it is not in the vocabulary, so it is {Vocabulary.Unknown})" : $" (its id in the vocabulary)"));
        }
    }
}
