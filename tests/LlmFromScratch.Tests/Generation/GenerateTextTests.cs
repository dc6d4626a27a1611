using LlmFromScratch.Generation;
using LlmFromScratch.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Generation;

public class GenerateTextTests
{
    private static TinyLanguageModel Model(int contextLength = 8, double dropRate = 0.0)
    {
        manual_seed(123);
        return new TinyLanguageModel(vocabSize: 16, contextLength: contextLength, dropRate: dropRate);
    }

    private static long[] Row(Tensor ids, int row = 0) => ids[row].data<long>().ToArray();

    /// <summary>Greedy decoding written out step by step, cropping like the book: the reference for the tests below.</summary>
    private static long[] GreedyByHand(nn.Module<Tensor, Tensor> model, long[] prompt, int newTokens, int contextSize)
    {
        using var noGrad = no_grad();
        var ids = prompt.ToList();
        for (var i = 0; i < newTokens; i++)
        {
            using var context = tensor(ids.TakeLast(contextSize).ToArray()).unsqueeze(0);
            using var logits = model.call(context);
            using var last = logits[0, -1];
            using var best = last.argmax();
            ids.Add(best.item<long>());
        }
        return ids.ToArray();
    }

    [Fact]
    public void Generate_WithTemperatureZero_AppendsTheArgmaxOfEveryStep()
    {
        using var model = Model();
        model.eval();
        using var prompt = tensor(new long[,] { { 1, 2, 3 } });

        using var ids = GenerateText.Generate(model, prompt, maxNewTokens: 6, contextSize: 8);

        ids.shape.Should().Equal(1, 9);
        Row(ids).Should().Equal(GreedyByHand(model, [1, 2, 3], 6, 8));
    }

    [Fact]
    public void Generate_WithATemperatureNearZero_MatchesGreedy()
    {
        using var model = Model();
        using var prompt = tensor(new long[,] { { 4, 5 } });
        using var greedy = GenerateText.Generate(model, prompt, maxNewTokens: 6, contextSize: 8);

        for (var seed = 0; seed < 20; seed++)
        {
            using var generator = new Generator((ulong)seed);
            using var sampled = GenerateText.Generate(model, prompt, maxNewTokens: 6, contextSize: 8, temperature: 1e-6, generator: generator);
            Row(sampled).Should().Equal(Row(greedy), $"seed {seed}");
        }
    }

    [Fact]
    public void Generate_CropsTheInputToTheLastContextSizeTokens()
    {
        using var model = Model(contextLength: 4);                                   // refuses more than 4 tokens
        model.eval();
        using var prompt = tensor(new long[,] { { 1, 2, 3, 4, 5, 6 } });

        using var ids = GenerateText.Generate(model, prompt, maxNewTokens: 10, contextSize: 4);

        Row(ids).Should().Equal(GreedyByHand(model, [1, 2, 3, 4, 5, 6], 10, 4));
        FluentActions.Invoking(() => GenerateText.Generate(model, prompt, maxNewTokens: 1, contextSize: 5))
            .Should().Throw<ArgumentException>().WithMessage("*sequence length 5 exceeds ContextLength 4*");
    }

    [Fact]
    public void Generate_WithZeroNewTokens_ReturnsACopyOfTheInput()
    {
        using var model = Model();
        using var prompt = tensor(new long[,] { { 7, 8, 9 } });

        using var ids = GenerateText.Generate(model, prompt, maxNewTokens: 0, contextSize: 8);

        Tensors.Identical(ids, prompt).Should().BeTrue();
        ReferenceEquals(ids, prompt).Should().BeFalse("the result is always the caller's to dispose");
    }

    [Fact]
    public void Generate_StopsBeforeTheFirstEndOfTextId()
    {
        using var model = Model();
        using var prompt = tensor(new long[,] { { 1, 2, 3 } });
        using var unlimited = GenerateText.Generate(model, prompt, maxNewTokens: 8, contextSize: 8);
        var generated = Row(unlimited)[3..];
        var eos = generated[2];
        var firstEos = Array.IndexOf(generated, eos);

        using var ids = GenerateText.Generate(model, prompt, maxNewTokens: 8, contextSize: 8, eosId: eos);

        Row(ids).Should().Equal(new long[] { 1, 2, 3 }.Concat(generated[..firstEos]));
    }

    [Fact]
    public void Generate_InABatch_PadsRowsThatFinishEarly_AndStopsWhenAllHaveFinished()
    {
        using var model = Model();
        using var prompts = tensor(new long[,] { { 1, 2 }, { 9, 10 } });
        using var unlimited = GenerateText.Generate(model, prompts, maxNewTokens: 8, contextSize: 8);
        var row0 = Row(unlimited, 0)[2..];
        var row1 = Row(unlimited, 1)[2..];
        var eos = row0[1];
        var finish0 = Array.IndexOf(row0, eos);
        var finish1 = Array.IndexOf(row1, eos) is var f and >= 0 ? f : 8;
        finish0.Should().BeLessThan(finish1, "the test needs row 0 to finish first");

        using var ids = GenerateText.Generate(model, prompts, maxNewTokens: 8, contextSize: 8, eosId: eos);

        ids.shape.Should().Equal(2, 2 + finish1);
        Row(ids, 0)[2..].Should().Equal(row0[..finish0].Concat(Enumerable.Repeat(eos, finish1 - finish0)));
        Row(ids, 1)[2..].Should().Equal(row1[..finish1]);
    }

    [Fact]
    public void Generate_WithTheSameGeneratorSeed_ProducesTheSameTokens()
    {
        using var model = Model();
        using var prompt = tensor(new long[,] { { 1 } });
        long[] Run(ulong seed)
        {
            using var generator = new Generator(seed);
            using var ids = GenerateText.Generate(model, prompt, maxNewTokens: 12, contextSize: 8, temperature: 1.5, topK: 8, topP: 0.95, generator: generator);
            return Row(ids);
        }

        Run(42).Should().Equal(Run(42));
        Run(42).Should().NotEqual(Run(43));
    }

    [Fact]
    public void Generate_RunsInEvalModeWithoutGradients_AndRestoresTheModelsMode()
    {
        using var model = Model(dropRate: 0.5);                                      // in training mode, as built
        using var prompt = tensor(new long[,] { { 1, 2, 3 } });

        using var first = GenerateText.Generate(model, prompt, maxNewTokens: 6, contextSize: 8);
        using var second = GenerateText.Generate(model, prompt, maxNewTokens: 6, contextSize: 8);

        Row(first).Should().Equal(Row(second), "dropout is off while generating");
        model.eval();
        Row(first).Should().Equal(GreedyByHand(model, [1, 2, 3], 6, 8));
        model.train();
        model.training.Should().BeTrue();
        is_grad_enabled().Should().BeTrue();
        first.requires_grad.Should().BeFalse();
    }

    [Fact]
    public void Generate_Throws_ForArgumentsOutsideTheirRange()
    {
        using var model = Model();
        using var prompt = tensor(new long[,] { { 1, 2 } });

        FluentActions.Invoking(() => GenerateText.Generate(model, prompt, maxNewTokens: -1, contextSize: 8))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxNewTokens");
        FluentActions.Invoking(() => GenerateText.Generate(model, prompt, maxNewTokens: 1, contextSize: 0))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("contextSize");
        FluentActions.Invoking(() => GenerateText.Generate(model, prompt, 1, 8, temperature: -1))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("temperature");
        FluentActions.Invoking(() => GenerateText.Generate(model, prompt, 1, 8, temperature: 1, topK: 0))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("topK");
        FluentActions.Invoking(() => GenerateText.Generate(model, prompt, 1, 8, temperature: 1, topP: 0))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("topP");
        FluentActions.Invoking(() => GenerateText.Generate(model, prompt, 1, 8, temperature: 1, topP: 1.5))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("topP");
    }

    [Fact]
    public void Generate_Throws_WhenIdxIsNotABatchOfTokenIds()
    {
        using var model = Model();
        using var flat = tensor(new long[] { 1, 2 });
        using var floats = zeros(1, 2);
        using var empty = zeros([1, 0], ScalarType.Int64);

        foreach (var idx in new[] { flat, floats, empty })
            FluentActions.Invoking(() => GenerateText.Generate(model, idx, 1, 8))
                .Should().Throw<ArgumentException>().WithParameterName("idx");
    }

    [Fact]
    public void Generate_Throws_WhenTheModelDoesNotReturnLogitsPerPosition()
    {
        using var notALanguageModel = nn.Sequential(("emb", nn.Embedding(16, 4)), ("flatten", nn.Flatten()));
        using var prompt = tensor(new long[,] { { 1, 2 } });

        FluentActions.Invoking(() => GenerateText.Generate(notALanguageModel, prompt, 1, 8))
            .Should().Throw<ArgumentException>().WithParameterName("model").WithMessage("*(1, 8)*");
    }
}
