using System.Text;
using LlmFromScratch.Finetuning;
using static TorchSharp.torch;

namespace LlmFromScratch.Exercises;

/// <summary>
/// Chapter 7 (fine-tuning to follow instructions): the Alpaca prompt, the padding-and-masking collate function (with
/// the book's exercise 7.2, masking the prompt), and getting the answer back out of generated text, each checked
/// against <c>LlmFromScratch.Finetuning</c> on freshly generated entries, batches and texts.
/// </summary>
public static class Chapter07Exercises
{
    private static readonly InstructionEntry BookEntry = new()
    {
        Instruction = "Identify the correct spelling of the following word.",
        Input = "Ocassion",
        Output = "The correct spelling is 'Occasion.'",
    };

    public static IEnumerable<Exercise> All =>
    [
        new("7.1", "the Alpaca prompt: preamble, ### Instruction, and ### Input only when the entry has an input",
            "\"Below is an instruction that describes a task. Write a response that appropriately completes the request.\" then \"\\n\\n### Instruction:\\n\" + instruction, then \"\\n\\n### Input:\\n\" + input unless the input is empty",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var entries = new List<InstructionEntry>
                {
                    BookEntry,
                    BookEntry with { Instruction = "What is the capital of Italy?", Input = "", Output = "Rome." },
                };
                for (var i = 0; i < 4; i++)
                    entries.Add(new() { Instruction = RandomText(random, 1, 12), Input = random.Next(3) == 0 ? "" : RandomText(random, 1, 8), Output = RandomText(random, 1, 6) });
                foreach (var entry in entries)
                {
                    var got = Learner.Call<string>(answer, entry);
                    Strings(got, PromptFormat.Alpaca.FormatInput(entry), $"prompt for instruction {Excerpt(entry.Instruction)} and input {Excerpt(entry.Input)}");
                }
            }),
        new("7.2", "the collate function: pad with 50256, targets shifted by one, padding after the first end token ignored (−100), cut to allowedMaxLength",
            "append one 50256 to each list and pad all to the longest + 1; inputs drop the last id, targets drop the first; in each target row every 50256 after the first becomes −100; then keep at most allowedMaxLength columns",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(int[][] Batch, int? AllowedMaxLength)>
                {
                    ([[0, 1, 2, 3, 4], [5, 6], [7, 8, 9]], null),   // the book's example batch
                    ([[0, 1, 2, 3, 4], [5, 6], [7, 8, 9]], 3),
                    ([[11, 12, 13], [14, 15, 16]], null),          // equal lengths: no ignored targets
                    ([[42]], 1),
                };
                for (var i = 0; i < 4; i++)
                    cases.Add((RandomBatch(random), random.Next(2) == 0 ? null : random.Next(1, 30)));
                foreach (var (batch, allowedMaxLength) in cases)
                {
                    using var scope = NewDisposeScope();
                    var (inputs, targets) = InstructionCollate.Collate(batch, allowedMaxLength: allowedMaxLength);
                    var (gotInputs, gotTargets) = Learner.Call<(Tensor, Tensor)>(answer, Copy(batch), allowedMaxLength);
                    var what = $"{Describe(batch)} with allowedMaxLength {allowedMaxLength?.ToString() ?? "null"}";
                    ReferenceChecks.Tensors(gotInputs, inputs, $"inputs of {what}");
                    ReferenceChecks.Tensors(gotTargets, targets, $"targets of {what}");
                }
            }),
        new("7.3", "the collate function with the prompt masked: also set the targets that predict prompt tokens to −100",
            "do what 7.2 does, then before cutting to allowedMaxLength set targets 0 … promptLength − 2 of each row to −100 (target j predicts token j + 1)",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(int[][] Batch, int[] PromptLengths, int? AllowedMaxLength)>
                {
                    ([[0, 1, 2, 3, 4], [5, 6], [7, 8, 9]], [3, 1, 2], null),
                    ([[0, 1, 2, 3, 4], [5, 6], [7, 8, 9]], [0, 2, 3], null),   // no prompt; all-prompt rows
                    ([[0, 1, 2, 3, 4, 5, 6], [7, 8]], [6, 1], 4),             // prompt longer than what is kept
                };
                for (var i = 0; i < 4; i++)
                {
                    var batch = RandomBatch(random);
                    cases.Add((batch, batch.Select(row => random.Next(0, row.Length + 1)).ToArray(), random.Next(2) == 0 ? null : random.Next(1, 30)));
                }
                foreach (var (batch, promptLengths, allowedMaxLength) in cases)
                {
                    using var scope = NewDisposeScope();
                    var (inputs, targets) = InstructionCollate.Collate(batch, allowedMaxLength: allowedMaxLength, promptLengths: promptLengths);
                    var (gotInputs, gotTargets) = Learner.Call<(Tensor, Tensor)>(answer, Copy(batch), promptLengths.ToArray(), allowedMaxLength);
                    var what = $"{Describe(batch)} with prompt lengths [{string.Join(", ", promptLengths)}] and allowedMaxLength {allowedMaxLength?.ToString() ?? "null"}";
                    ReferenceChecks.Tensors(gotInputs, inputs, $"inputs of {what}");
                    ReferenceChecks.Tensors(gotTargets, targets, $"targets of {what}");
                }
            }),
        new("7.4", "the response: generated text minus the prompt, cut at <|endoftext|>, without \"### Response:\", trimmed",
            "take generatedText[prompt.Length..], end it at \"<|endoftext|>\" if present, remove \"### Response:\", then Trim()",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var prompt = PromptFormat.Alpaca.FormatInput(BookEntry);
                var cases = new List<(string Generated, string Prompt)>
                {
                    (prompt + "\n\n### Response:\nThe correct spelling is 'Occasion.'", prompt),
                    (prompt + "\n\n### Response:\nOccasion.<|endoftext|>\n\n### Instruction:\nMore text", prompt),
                    (prompt + "\n\n### Response:\n", prompt),
                    (prompt + " Occasion", prompt),   // no header at all
                };
                for (var i = 0; i < 4; i++)
                {
                    var entry = new InstructionEntry { Instruction = RandomText(random, 1, 10), Input = random.Next(2) == 0 ? "" : RandomText(random, 1, 5), Output = "" };
                    var p = PromptFormat.Alpaca.FormatInput(entry);
                    var generated = p + "\n\n### Response:\n" + RandomText(random, 0, 12) + (random.Next(2) == 0 ? "" : "<|endoftext|>" + RandomText(random, 1, 6)) + (random.Next(2) == 0 ? "\n " : "");
                    cases.Add((generated, p));
                }
                foreach (var (generated, p) in cases)
                {
                    var got = Learner.Call<string>(answer, generated, p);
                    Strings(got, ResponseExtractor.Extract(generated, p), $"response extracted from {Excerpt(generated[p.Length..])} after the prompt");
                }
            }),
    ];

    private static readonly string[] Words =
        ["the", "word", "Rewrite", "sentence", "capital", "of", "France", "3", "+", "4", "?", ".", ",", "'quoted'", "\"double\"", "café", "\n", "###", ":"];

    private static string RandomText(Random random, int minWords, int maxWords)
    {
        var text = new StringBuilder();
        var count = random.Next(minWords, maxWords + 1);
        for (var i = 0; i < count; i++) text.Append(i == 0 ? "" : " ").Append(Words[random.Next(Words.Length)]);
        return text.ToString();
    }

    private static int[][] RandomBatch(Random random) =>
        Enumerable.Range(0, random.Next(1, 6))
            .Select(_ => Enumerable.Range(0, random.Next(1, 25)).Select(_ => random.Next(50256)).ToArray())
            .ToArray();

    private static int[][] Copy(int[][] batch) => batch.Select(row => row.ToArray()).ToArray();

    private static string Describe(int[][] batch) =>
        batch.Length <= 3 && batch.All(row => row.Length <= 6)
            ? "the batch " + string.Join(", ", batch.Select(row => "[" + string.Join(", ", row) + "]"))
            : $"a batch of {batch.Length} lists of lengths {CompareText.List(batch.Select(row => row.Length).ToArray())}";

    private static string Excerpt(string text) => text.Length <= 40 ? CompareText.Quote(text) : CompareText.Quote(text[..37]) + "…";

    // Shows where two strings part, with the text around that point, escaped so line breaks are visible.
    private static void Strings(string got, string expected, string what)
    {
        if (got is null) throw new Mismatch($"{what}: got null, expected {Excerpt(expected)}");
        if (got == expected) return;
        var at = 0;
        while (at < got.Length && at < expected.Length && got[at] == expected[at]) at++;
        var from = Math.Max(0, at - 20);
        string Around(string s) => (from > 0 ? "…" : "") + CompareText.Quote(s[from..Math.Min(s.Length, at + 20)]) + (at + 20 < s.Length ? "…" : "");
        throw new Mismatch(
            $"{what}: the texts differ from character {at} (got {got.Length} characters, expected {expected.Length}): " +
            $"got {Around(got)}, expected {Around(expected)}");
    }
}
