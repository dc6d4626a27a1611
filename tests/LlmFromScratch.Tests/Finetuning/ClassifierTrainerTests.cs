using LlmFromScratch.Finetuning;
using LlmFromScratch.Model;
using LlmFromScratch.Training;
using Microsoft.ML.Tokenizers;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Finetuning;

public class ClassifierTrainerTests(ITestOutputHelper output)
{
    // Six one-token examples whose label is their token: a model that maps token → logits can learn them exactly.
    private static readonly (long Token, long Label)[] _examples = [(0, 0), (1, 1), (1, 1), (0, 0), (1, 1), (0, 0)];

    private static BatchLoader Loader(bool shuffle = false) => new(_examples.Length, 2, idx => (
        tensor(idx.Select(i => _examples[i].Token).ToArray(), [idx.Count, 1]),
        tensor(idx.Select(i => _examples[i].Label).ToArray())), shuffle);

    /// <summary>(b, 1) ids → (b, 1, 2) logits through a trainable embedding that starts out voting the wrong class.</summary>
    private static nn.Module<Tensor, Tensor> WrongModel()
    {
        var embedding = nn.Embedding(2, 2);
        using (no_grad()) embedding.weight!.copy_(tensor(new float[] { 0, 1, 1, 0 }, [2, 2]));
        return nn.Sequential(("emb", embedding));
    }

    [Fact]
    public void Train_EvaluatesEveryEvalFreqSteps_FromStepZero_AndMeasuresAccuracyAfterEachEpoch()
    {
        using var model = WrongModel();
        var optimizer = optim.AdamW(model.parameters(), lr: 0.1);
        var trainer = new ClassifierTrainer(model, optimizer, Loader(shuffle: true), Loader(), numEpochs: 4, evalFreq: 2, evalIter: 3);
        var reports = new List<ClassifierProgress>();
        trainer.Progress += (_, p) => reports.Add(p);

        var history = trainer.Train();

        // 3 batches of 2 per epoch, 12 steps: evaluations at steps 0, 2, 4, 6, 8, 10.
        history.EvalSteps.Should().Equal(0, 2, 4, 6, 8, 10);
        history.EvalExamplesSeen.Should().Equal(2, 6, 10, 14, 18, 22);
        history.ExamplesSeen.Should().Be(24);
        history.TrainAccuracies.Should().HaveCount(4);
        history.ValAccuracies.Should().HaveCount(4);
        reports.Select(r => r.Kind).Should().Equal(
            TrainingProgressKind.Evaluation, TrainingProgressKind.Evaluation, TrainingProgressKind.EpochEnd,
            TrainingProgressKind.Evaluation, TrainingProgressKind.EpochEnd,
            TrainingProgressKind.Evaluation, TrainingProgressKind.Evaluation, TrainingProgressKind.EpochEnd,
            TrainingProgressKind.Evaluation, TrainingProgressKind.EpochEnd);
        reports.Where(r => r.Kind == TrainingProgressKind.EpochEnd).Select(r => r.ValAccuracy).Should().Equal(history.ValAccuracies.Cast<double?>());
        // It starts wrong on every example and learns them all.
        history.ValLosses[0].Should().BeGreaterThan(Math.Log(2));
        history.ValLosses[^1].Should().BeLessThan(history.ValLosses[0]);
        history.ValAccuracies[^1].Should().Be(1.0);
        history.TrainAccuracies[^1].Should().Be(1.0);
        model.training.Should().BeTrue();
    }

    [Fact]
    public void Train_StopsAtAStepBoundary_WhenCancelled()
    {
        using var model = WrongModel();
        var trainer = new ClassifierTrainer(model, optim.AdamW(model.parameters(), lr: 0.1), Loader(), Loader(), numEpochs: 3, evalFreq: 1, evalIter: 1);
        using var cancel = new CancellationTokenSource();
        trainer.Progress += (_, p) => { if (p.GlobalStep == 1) cancel.Cancel(); };

        var history = trainer.Train(cancel.Token);

        history.EvalSteps.Should().Equal(0, 1);
        history.ExamplesSeen.Should().Be(4);
        history.TrainAccuracies.Should().BeEmpty();
    }

    [Theory]
    [InlineData(0, 1, 1, "numEpochs")]
    [InlineData(1, 0, 1, "evalFreq")]
    [InlineData(1, 1, 0, "evalIter")]
    public void Constructor_Throws_ForCountsBelowOne(int numEpochs, int evalFreq, int evalIter, string parameter)
    {
        using var model = WrongModel();

        var act = () => new ClassifierTrainer(model, optim.AdamW(model.parameters()), Loader(), Loader(), numEpochs, evalFreq, evalIter);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(parameter).WithMessage("*at least 1*");
    }

    [SpamAssassinAvailableFact]
    public void TinyGpt_FineTunedOnSpamAssassinMail_BeatsTheMajorityClass_OnHeldOutMail()
    {
        // Chapter 6's pipeline end to end on real mail: balance, split, SpamDataset, head swap, ClassifierTrainer.
        // A Tiny GPT trained from scratch (nothing frozen) on 592 e-mails, first 64 tokens each, 148 steps.
        var messages = SpamAssassinCorpus.Load(SpamAssassinCorpus.Ensure());
        var balanced = ClassificationSplits.Balance(messages.Select(m => m.ToLabeledText()).ToList(), seed: 123);
        var split = ClassificationSplits.Split(balanced, seed: 123);
        var tokenizer = TiktokenTokenizer.CreateForModel("gpt2");
        const int maxLength = 64;
        IReadOnlyList<int> Encode(string text) => tokenizer.EncodeToIds(text, maxLength, out _, out _);
        var train = new SpamDataset(split.Train.Take(600).ToList(), Encode, maxLength);
        var validation = new SpamDataset(split.Validation.Take(96).ToList(), Encode, maxLength);
        var heldOut = new SpamDataset(split.Test.Take(300).ToList(), Encode, maxLength);
        var spamShare = Enumerable.Range(0, heldOut.Count).Average(i => heldOut.LabelAt(i));
        var majorityBaseline = Math.Max(spamShare, 1 - spamShare);

        var threads = get_num_threads();
        // One thread: on a machine shared with other jobs, libtorch's spinning worker threads make this 5-10x slower.
        set_num_threads(1);
        double accuracy;
        try
        {
            manual_seed(123);
            using var model = new GptModel(GptConfig.Tiny with { ContextLength = maxLength, DropRate = 0.0 });
            ClassificationHead.Replace(model, SpamLabel.Count, freeze: false);
            var optimizer = optim.AdamW(model.parameters(), lr: 1e-3, weight_decay: 0.1);
            var trainer = new ClassifierTrainer(model, optimizer, train.Loader(16, shuffle: true, dropLast: true),
                validation.Loader(16), numEpochs: 4, evalFreq: 50, evalIter: 3);
            trainer.Train();
            accuracy = ClassificationMetrics.CalcAccuracyLoader(heldOut.Loader(16), model, CPU);
        }
        finally
        {
            set_num_threads(threads);
        }

        output.WriteLine($"held-out: {heldOut.Count} e-mails, spam share {spamShare:P2}, majority baseline {majorityBaseline:P2}, accuracy {accuracy:P2}");
        majorityBaseline.Should().BeInRange(0.5, 0.6);   // balanced data: guessing the larger class gets about half right
        accuracy.Should().BeGreaterThan(majorityBaseline + 0.2, $"held-out accuracy {accuracy:P2} vs majority baseline {majorityBaseline:P2}");
    }
}
