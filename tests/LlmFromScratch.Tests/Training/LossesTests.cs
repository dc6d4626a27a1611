using LlmFromScratch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Training;

public class LossesTests
{
    [Fact]
    public void CalcLossBatch_IsMeanNegativeLogProbabilityOfTargets()
    {
        manual_seed(123);
        using var model = new TinyLanguageModel();
        using var corpus = new TinyCorpus();
        var (inputs, targets) = corpus.InOrder(batchSize: 3).First();

        using var loss = Losses.CalcLossBatch(inputs, targets, model, CPU);

        // Step by step, as §5.1 teaches: softmax, pick each target's probability, average the negative logs.
        using var logits = model.call(inputs);                                          // (3, 8, 16)
        using var logProbs = logits.log_softmax(-1);
        using var picked = logProbs.gather(-1, targets.unsqueeze(-1));                  // (3, 8, 1)
        var manual = -picked.mean().item<float>();
        loss.shape.Should().BeEmpty();
        loss.item<float>().Should().BeApproximately(manual, 1e-6f);
        loss.requires_grad.Should().BeTrue();
    }

    [Fact]
    public void CalcLossBatch_Throws_WhenTargetsShapeDiffersFromInputs()
    {
        using var model = new TinyLanguageModel();
        using var inputs = zeros([2, 4], ScalarType.Int64);
        using var targets = zeros([2, 3], ScalarType.Int64);

        var act = () => Losses.CalcLossBatch(inputs, targets, model, CPU);

        act.Should().Throw<ArgumentException>().WithParameterName("targets").WithMessage("*(2, 3)*(2, 4)*");
    }

    [Fact]
    public void CalcLossBatch_Throws_WhenModelDoesNotReturnBatchByTimeByVocab()
    {
        using var flat = nn.Sequential(("emb", nn.Embedding(16, 4)), ("flatten", nn.Flatten()));  // (b, t·4): not logits
        using var inputs = zeros([2, 4], ScalarType.Int64);

        var act = () => Losses.CalcLossBatch(inputs, inputs, flat, CPU);

        act.Should().Throw<ArgumentException>().WithParameterName("model").WithMessage("*(2, 16)*");
    }

    [Fact]
    public void CalcLossLoader_AveragesTheFirstNumBatches()
    {
        manual_seed(123);
        using var model = new TinyLanguageModel();
        using var corpus = new TinyCorpus();
        var perBatch = corpus.InOrder(batchSize: 4)
            .Select(b => { using var l = Losses.CalcLossBatch(b.inputs, b.targets, model, CPU); return (double)l.item<float>(); })
            .ToArray();

        var firstThree = Losses.CalcLossLoader(corpus.InOrder(batchSize: 4), model, CPU, numBatches: 3);
        var all = Losses.CalcLossLoader(corpus.InOrder(batchSize: 4), model, CPU);

        perBatch.Should().HaveCount(6);
        firstThree.Should().Be(perBatch.Take(3).Sum() / 3);
        all.Should().Be(perBatch.Sum() / 6);
    }

    [Fact]
    public void CalcLossLoader_MatchesAHandComputation_OnATinyExample()
    {
        // A "model" that maps each token to a fixed row of logits over a 3-token vocabulary, chosen so the
        // probabilities are simple fractions: after 0 → [1/4, 1/2, 1/4], after 1 → [1/3, 1/3, 1/3], after 2 → [3/5, 1/5, 1/5].
        using var model = nn.Embedding(3, 3);
        using (no_grad())
            model.weight!.copy_(tensor(new[,] { { 0f, MathF.Log(2), 0f }, { 0f, 0f, 0f }, { MathF.Log(3), 0f, 0f } }));
        (Tensor, Tensor)[] Batches() =>
        [
            (tensor(new long[,] { { 0, 1 } }), tensor(new long[,] { { 1, 2 } })),                     // p = 1/2, 1/3
            (tensor(new long[,] { { 2, 0 }, { 1, 2 } }), tensor(new long[,] { { 0, 0 }, { 1, 2 } })), // p = 3/5, 1/4, 1/3, 1/5
        ];
        var first = (Math.Log(2) + Math.Log(3)) / 2;
        var second = (Math.Log(5.0 / 3) + Math.Log(4) + Math.Log(3) + Math.Log(5)) / 4;

        var all = Losses.CalcLossLoader(Batches(), model, CPU);
        var one = Losses.CalcLossLoader(Batches(), model, CPU, numBatches: 1);

        // The book averages the batch means (a batch counts once, whatever its size).
        all.Should().BeApproximately((first + second) / 2, 1e-6);
        one.Should().BeApproximately(first, 1e-6);
    }

    [Fact]
    public void CalcLossLoader_UsesEveryBatch_WhenNumBatchesExceedsTheLoader()
    {
        manual_seed(123);
        using var model = new TinyLanguageModel();
        using var corpus = new TinyCorpus();

        var capped = Losses.CalcLossLoader(corpus.InOrder(batchSize: 4), model, CPU, numBatches: 100);
        var all = Losses.CalcLossLoader(corpus.InOrder(batchSize: 4), model, CPU);

        capped.Should().Be(all);
    }

    [Fact]
    public void CalcLossLoader_ReturnsNaN_ForAnEmptyLoader()
    {
        using var model = new TinyLanguageModel();

        Losses.CalcLossLoader([], model, CPU).Should().Be(double.NaN);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void CalcLossLoader_Throws_WhenNumBatchesIsNotPositive(int numBatches)
    {
        using var model = new TinyLanguageModel();

        var act = () => Losses.CalcLossLoader([], model, CPU, numBatches);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("numBatches");
    }

    [Fact]
    public void Perplexity_OfUniformPredictions_IsTheVocabularySize()
    {
        // Uniform logits over 50 tokens: loss = ln 50, so the model is "choosing between" 50 tokens.
        using var logits = zeros(6, 50);
        using var targets = tensor(new long[] { 0, 7, 13, 21, 42, 49 });
        using var loss = nn.functional.cross_entropy(logits, targets);

        Losses.Perplexity(loss.item<float>()).Should().BeApproximately(50.0, 1e-4);
    }
}
