using LlmFromScratch.Finetuning;
using LlmFromScratch.Model;
using LlmFromScratch.Training;
using Microsoft.ML.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Finetuning;

public class ResponseGeneratorTests
{
    private static readonly TiktokenTokenizer _tokenizer = TiktokenTokenizer.CreateForModel("gpt2");

    /// <summary>
    /// A stand-in for a fine-tuned GPT: for a row that starts with one of its prompts it puts all probability on the
    /// next token of that prompt's continuation, then on end-of-text; any other row gets end-of-text.
    /// </summary>
    private sealed class ScriptedModel : nn.Module<Tensor, Tensor>
    {
        private readonly List<(long[] Prompt, long[] Continuation)> _script;

        public ScriptedModel(IEnumerable<(string Prompt, string Continuation)> script) : base(nameof(ScriptedModel))
        {
            _script = script.Select(s => (Ids(s.Prompt), Ids(s.Continuation))).ToList();
            RegisterComponents();
        }

        public override Tensor forward(Tensor ids)
        {
            var (b, t) = (ids.shape[0], ids.shape[1]);
            var logits = zeros(b, t, 50257);                                  // (b, t, vocab)
            for (var row = 0; row < b; row++)
            {
                var seen = ids[row].data<long>().ToArray();
                var next = (long)InstructionCollate.EndOfText;
                foreach (var (prompt, continuation) in _script)
                {
                    var at = seen.Length - prompt.Length;
                    if (at >= 0 && seen.Take(prompt.Length).SequenceEqual(prompt))
                        next = at < continuation.Length ? continuation[at] : InstructionCollate.EndOfText;
                }
                logits[row, t - 1, next] = 1.0f;
            }
            return logits;
        }

        private static long[] Ids(string text) => _tokenizer.EncodeToIds(text).Select(i => (long)i).ToArray();
    }

    private static readonly InstructionEntry Capital = new() { Instruction = "Name the capital of France.", Output = "The capital of France is Paris." };
    private static readonly InstructionEntry Rewrite = new() { Instruction = "Rewrite the sentence.", Input = "It is cold.", Output = "It is chilly." };

    [Fact]
    public void GenerateResponses_AnswersEachPrompt_StopsAtEndOfText_AndStripsTheHeader()
    {
        using var model = new ScriptedModel([
            (PromptFormat.Alpaca.FormatInput(Capital), "\n\n### Response:\nParis."),
            (PromptFormat.Alpaca.FormatInput(Rewrite), "\n\n### Response:\nIt is chilly today, and it will stay chilly all week long."),
        ]);
        var progress = new List<int>();

        var answered = ResponseGenerator.GenerateResponses(model, [Capital, Rewrite], _tokenizer, CPU, contextSize: 1024,
            maxNewTokens: 12, progress: new SyncProgress(progress));

        answered.Select(e => e.ModelResponse).Should().Equal(
            "Paris.",
            // 12 new tokens: "\n", "\n", "###", " Response", ":", "\n", then 6 of the answer.
            "It is chilly today, and");
        answered[1].Should().Be(Rewrite with { ModelResponse = "It is chilly today, and" });
        Capital.ModelResponse.Should().BeNull();
        progress.Should().Equal(1, 2);
    }

    [Fact]
    public void AModelFineTunedOnOneEntry_AnswersItWithItsOutput_AndStops()
    {
        // The whole instruction path on a Tiny GPT: dataset, collate with -100, Trainer, generation until <|endoftext|>,
        // extraction. Overfitting one entry is only possible if the model learns both the answer and where it ends.
        var entry = new InstructionEntry { Instruction = "Name the capital of France.", Output = "The capital of France is Paris." };
        var dataset = new InstructionDataset([entry], _tokenizer);
        manual_seed(123);
        using var model = new GptModel(GptConfig.Tiny with { ContextLength = 64, DropRate = 0.0 });
        var optimizer = optim.AdamW(model.parameters(), lr: 1e-2, weight_decay: 0.1);
        var loader = dataset.Loader(batchSize: 1, allowedMaxLength: 64);
        var trainer = new Trainer(model, optimizer, _ => loader, loader, new TrainerSettings { NumEpochs = 50, EvalFreq = 50, EvalIter = 1 });

        trainer.Train();
        var (_, finalLoss) = trainer.Evaluate();
        var answered = ResponseGenerator.GenerateResponses(model, [entry], _tokenizer, CPU, contextSize: 64, maxNewTokens: 30);

        finalLoss.Should().BeLessThan(0.05);
        answered[0].ModelResponse.Should().Be("The capital of France is Paris.");
    }

    [Fact]
    public void GenerateResponses_Throws_ForNoNewTokens()
    {
        using var model = new ScriptedModel([]);

        var act = () => ResponseGenerator.GenerateResponses(model, [Capital], _tokenizer, CPU, contextSize: 1024, maxNewTokens: 0);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxNewTokens");
    }

    private sealed class SyncProgress(List<int> values) : IProgress<int>
    {
        public void Report(int value) => values.Add(value);
    }
}
