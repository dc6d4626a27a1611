using LlmFromScratch.Exercises;
using LlmFromScratch.Finetuning;
using LlmFromScratch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Exercises;

public class Chapter06ExercisesTests
{
    // 6.1 — the classifier head and freezing

    private static GptModel ToClassifier(GptModel model, int numClasses) => ToClassifierWith(model, numClasses, model.Config.NLayers - 1, true, true);

    private static GptModel ToClassifierWith(GptModel model, int numClasses, int unfrozenBlock, bool unfreezeNorm, bool headBias)
    {
        foreach (var p in model.parameters()) p.requires_grad = false;
        ModuleSurgery.ReplaceChild(model, "out_head", nn.Linear(model.Config.EmbDim, numClasses, hasBias: headBias));
        foreach (var (name, p) in model.named_parameters())
            if (name.StartsWith($"trf_blocks.{unfrozenBlock}.") || unfreezeNorm && name.StartsWith("final_norm."))
                p.requires_grad = true;
        return model;
    }

    [Fact]
    public void Classifier_Passes_ForTheBooksHeadSwapAndFreezing()
    {
        var outcome = Check.Evaluate("6.1", ToClassifier);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Classifier_Passes_WhenTheLibrarysReplaceIsCalled()
    {
        var outcome = Check.Evaluate("6.1", (Func<GptModel, int, GptModel>)((model, classes) =>
        {
            ClassificationHead.Replace(model, classes);
            return model;
        }));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Classifier_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("6.1", (Func<GptModel, int, GptModel>)((_, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("ModuleSurgery.ReplaceChild");
    }

    [Fact]
    public void Classifier_NamesTheFrozenParameter_WhenFinalNormIsLeftFrozen()
    {
        var outcome = Check.Evaluate("6.1", (Func<GptModel, int, GptModel>)((m, c) => ToClassifierWith(m, c, m.Config.NLayers - 1, false, true)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("'final_norm.scale' should train (requires_grad = true) but is frozen");
    }

    [Fact]
    public void Classifier_NamesTheBlock_WhenTheFirstBlockIsUnfrozenInsteadOfTheLast()
    {
        var outcome = Check.Evaluate("6.1", (Func<GptModel, int, GptModel>)((m, c) => ToClassifierWith(m, c, 0, true, true)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("a Tiny GPT with 2 blocks and 2 classes: 'trf_blocks.0.").And.Contain("should be frozen but has requires_grad = true");
    }

    [Fact]
    public void Classifier_NamesTheMissingBias_WhenTheHeadHasNone()
    {
        var outcome = Check.Evaluate("6.1", (Func<GptModel, int, GptModel>)((m, c) => ToClassifierWith(m, c, m.Config.NLayers - 1, true, false)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("the model has no parameter 'out_head.bias' (shape (2))");
    }

    [Fact]
    public void Classifier_ShowsTheShape_WhenTheHeadKeepsTheVocabulary()
    {
        var outcome = Check.Evaluate("6.1", (Func<GptModel, int, GptModel>)((m, c) =>
        {
            ToClassifier(m, c);
            ModuleSurgery.ReplaceChild(m, "out_head", nn.Linear(m.Config.EmbDim, m.Config.VocabSize));
            return m;
        }));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("'out_head.weight' has shape (50257, 32), expected (2, 32)");
    }

    // 6.2 — last-token accuracy

    private static double Accuracy(Tensor logits, Tensor labels) =>
        logits[.., -1, ..].argmax(-1).eq(labels).to(float64).mean().item<double>();

    [Fact]
    public void Accuracy_Passes_ForTheLastTokensArgmax()
    {
        var outcome = Check.Evaluate("6.2", Accuracy);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Accuracy_Passes_AsAFloat()
    {
        var outcome = Check.Evaluate("6.2", (Func<Tensor, Tensor, float>)((l, y) => (float)Accuracy(l, y)));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Accuracy_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("6.2", (Func<Tensor, Tensor, double>)((_, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("logits[.., -1, ..]");
    }

    [Fact]
    public void Accuracy_ShowsTheCase_WhenTheFirstTokenIsUsed()
    {
        var outcome = Check.Evaluate("6.2", (Func<Tensor, Tensor, double>)((l, y) => l[.., 0, ..].argmax(-1).eq(y).to(float64).mean().item<double>()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("accuracy of logits whose first token is right and last token wrong: got 1, expected 0");
    }

    // 6.3 — padding and truncation

    private static int[][] PadBatch(int[][] tokenLists, int? maxLength)
    {
        var length = maxLength ?? tokenLists.Max(ids => ids.Length);
        return tokenLists
            .Select(ids => ids.Take(length).Concat(Enumerable.Repeat(50256, Math.Max(0, length - ids.Length))).ToArray())
            .ToArray();
    }

    [Fact]
    public void PadBatch_Passes_WhenRowsAreCutAndPaddedWithEndOfText()
    {
        var outcome = Check.Evaluate("6.3", PadBatch);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void PadBatch_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("6.3", (Func<int[][], int?, int[][]>)((_, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("fill the rest of the row with 50256");
    }

    [Fact]
    public void PadBatch_ShowsTheRow_WhenLongListsAreNotCut()
    {
        var outcome = Check.Evaluate("6.3", (Func<int[][], int?, int[][]>)((lists, maxLength) =>
        {
            var length = Math.Max(maxLength ?? 0, lists.Max(ids => ids.Length));
            return PadBatch(lists, length);
        }));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("[40, 367, 2885], [1, 2], [7, 7, 7, 7, 7] with maxLength 4, row 0: 5 items, expected 4");
    }

    [Fact]
    public void PadBatch_ShowsTheFirstWrongId_WhenPaddedWithZeros()
    {
        var outcome = Check.Evaluate("6.3", (Func<int[][], int?, int[][]>)((lists, maxLength) =>
            PadBatch(lists, maxLength).Select(row => row.Select(id => id == 50256 ? 0 : id).ToArray()).ToArray()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("[40, 367, 2885], [1, 2], [7, 7, 7, 7, 7] with maxLength null, row 0: first difference at index 3: got 0, expected 50256");
    }

    // 6.4 — trainable parameters of the 124M classifier

    [Fact]
    public void TrainableCount_Passes_ForOneBlockPlusFinalNormPlusHead()
    {
        const long block = 4 * 768 * 768 + 4 * 768          // W_query, W_key, W_value, out_proj with biases
                           + 768 * 3072 + 3072 + 3072 * 768 + 768   // feed-forward
                           + 2 * 2 * 768;                    // norm1, norm2
        const long expected = block + 2 * 768 + 768 * 2 + 2;

        Check.Evaluate("6.4", () => expected).Status.Should().Be("pass");
        expected.Should().Be(7_090_946);
    }

    [Fact]
    public void TrainableCount_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("6.4", (Func<long>)(() => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("plus the new head");
    }

    [Fact]
    public void TrainableCount_ShowsBothCounts_WhenTheQueryKeyValueBiasesAreLeftOut()
    {
        var outcome = Check.Evaluate("6.4", () => 7_090_946L - 3 * 768);

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("7,088,642 is too low: OpenAI's weights have query/key/value biases").And.NotContain("7,090,946");
    }
}
