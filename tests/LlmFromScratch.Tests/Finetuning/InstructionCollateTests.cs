using LlmFromScratch.Finetuning;
using LlmFromScratch.Model;
using LlmFromScratch.Training;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Finetuning;

public class InstructionCollateTests
{
    // The book's hand-made batch (section 7.3).
    private static readonly int[][] Batch = [[0, 1, 2, 3, 4], [5, 6], [7, 8, 9]];

    private static long[][] Rows(Tensor t) =>
        Enumerable.Range(0, (int)t.shape[0]).Select(i => t[i].data<long>().ToArray()).ToArray();

    [Fact]
    public void CollateDraft1_PadsToTheLongestPlusOne_AndDropsTheLastPosition()
    {
        var inputs = InstructionCollate.CollateDraft1(Batch);

        inputs.dtype.Should().Be(ScalarType.Int64);
        Rows(inputs).Should().BeEquivalentTo(new long[][]
        {
            [0, 1, 2, 3, 4], [5, 6, 50256, 50256, 50256], [7, 8, 9, 50256, 50256],
        }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void CollateDraft2_AddsTargetsShiftedByOne_WithAllPadding()
    {
        var (_, targets) = InstructionCollate.CollateDraft2(Batch);

        Rows(targets).Should().BeEquivalentTo(new long[][]
        {
            [1, 2, 3, 4, 50256], [6, 50256, 50256, 50256, 50256], [8, 9, 50256, 50256, 50256],
        }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Collate_GivesTheBooksInputsAndTargets_WithIgnoreIndexAfterTheFirstPad()
    {
        var (inputs, targets) = InstructionCollate.Collate(Batch);

        inputs.shape.Should().Equal(3, 5);
        Rows(inputs).Should().BeEquivalentTo(new long[][]
        {
            [0, 1, 2, 3, 4], [5, 6, 50256, 50256, 50256], [7, 8, 9, 50256, 50256],
        }, o => o.WithStrictOrdering());
        Rows(targets).Should().BeEquivalentTo(new long[][]
        {
            [1, 2, 3, 4, 50256], [6, 50256, -100, -100, -100], [8, 9, 50256, -100, -100],
        }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Collate_MasksThePromptsTargets_WhenGivenPromptLengths()
    {
        // Prompts of 3, 1 and 2 tokens: targets 0 .. length-2 predict prompt tokens and are ignored.
        var (inputs, targets) = InstructionCollate.Collate(Batch, promptLengths: [3, 1, 2]);

        Rows(inputs)[0].Should().Equal(0, 1, 2, 3, 4);
        Rows(targets).Should().BeEquivalentTo(new long[][]
        {
            [-100, -100, 3, 4, 50256], [6, 50256, -100, -100, -100], [-100, 9, 50256, -100, -100],
        }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Collate_CutsInputsAndTargets_ToAllowedMaxLength()
    {
        var (inputs, targets) = InstructionCollate.Collate(Batch, allowedMaxLength: 3);

        Rows(inputs).Should().BeEquivalentTo(new long[][] { [0, 1, 2], [5, 6, 50256], [7, 8, 9] }, o => o.WithStrictOrdering());
        Rows(targets).Should().BeEquivalentTo(new long[][] { [1, 2, 3], [6, 50256, -100], [8, 9, 50256] }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Collate_UsesTheGivenPadAndIgnoreValues()
    {
        var (_, targets) = InstructionCollate.Collate([[1], [1, 2, 3]], padTokenId: 0, ignoreIndex: -1);

        Rows(targets).Should().BeEquivalentTo(new long[][] { [0, -1, -1], [2, 3, 0] }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Collate_Throws_WhenPromptLengthsDoNotMatchTheBatch()
    {
        var act = () => InstructionCollate.Collate(Batch, promptLengths: [1, 2]);

        act.Should().Throw<ArgumentException>().WithParameterName("promptLengths").WithMessage("2 prompt lengths for a batch of 3*");
    }

    [Fact]
    public void Collate_Throws_ForAnEmptyBatch()
    {
        var act = () => InstructionCollate.Collate([]);

        act.Should().Throw<ArgumentException>().WithParameterName("batch");
    }

    [Fact]
    public void CollatedBatch_Loss_CountsOnlyTheTargetsThatAreNotIgnored()
    {
        // Chapter 7 trains with chapter 5's loss unchanged: cross-entropy skips the -100 targets.
        manual_seed(123);
        using var model = new GptModel(GptConfig.Tiny);
        model.eval();
        var (inputs, targets) = InstructionCollate.Collate(Batch);

        var loss = Losses.CalcLossBatch(inputs, targets, model, CPU).item<float>();

        using var logProbs = nn.functional.log_softmax(model.call(inputs), -1);   // (3, 5, vocab)
        var kept = new List<float>();
        var rows = Rows(targets);
        for (var b = 0; b < 3; b++)
            for (var t = 0; t < 5; t++)
                if (rows[b][t] != InstructionCollate.IgnoreIndex) kept.Add(-logProbs[b, t, rows[b][t]].item<float>());
        kept.Should().HaveCount(10);   // 15 positions, 5 of them padding after the first end-of-text
        loss.Should().BeApproximately(kept.Average(), 1e-5f);
    }
}
