using LlmFromScratch.Training;

namespace LlmFromScratch.Tests.Training;

public class TrainingProgressDisplayTests
{
    private static TrainingProgress Report(TrainingProgressKind kind, long step, double? train = null, double? val = null, string? sample = null) =>
        new(kind, Epoch: (int)(step / 9), NumEpochs: 10, BatchesDoneInEpoch: (int)(step % 9) + 1, GlobalStep: step, TokensSeen: 512 * (step + 1),
            TokensPerSecond: 1234.4, LearningRate: 4e-4, TrainLoss: train, ValLoss: val, Sample: sample);

    [Fact]
    public void FormatEvaluation_IsTheBooksLogLine()
    {
        TrainingProgressDisplay.FormatEvaluation(Report(TrainingProgressKind.Evaluation, 85, 0.3911, 6.4523))
            .Should().Be("Ep 10 (Step 000085): Train loss 0.391, Val loss 6.452");
    }

    [Fact]
    public void FormatStatus_ShowsEpochStepOfTotal_ABar_Losses_Throughput_AndTimeLeft()
    {
        var status = TrainingProgressDisplay.FormatStatus(Report(TrainingProgressKind.Step, 21, 5.7261, 6.6), stepsPerEpoch: 9, TimeSpan.FromSeconds(92));

        // 22 of 90 steps done in 92 s: 68 steps left at the same pace take 284 s.
        status.Should().Be("epoch 3/10  step 22/90 [######------------------] 24 %  train 5.726  val 6.600  1,234 tok/s  0:01:32, ~0:04:44 left");
    }

    [Fact]
    public void FormatStatus_OfAResumedRun_EstimatesTheTimeLeftFromTheStepsDoneSinceResuming()
    {
        // Resumed after 80 steps; 2 more took 20 s, so the 8 left take 80 s (not the 2 s that 82/90 done would suggest).
        var status = TrainingProgressDisplay.FormatStatus(Report(TrainingProgressKind.Step, 81, 0.6, 6.3), stepsPerEpoch: 9, TimeSpan.FromSeconds(20), stepsBefore: 80);

        status.Should().EndWith("0:00:20, ~0:01:20 left");
    }

    [Fact]
    public void FormatStatus_WithoutStepsPerEpoch_OrLosses_LeavesThemOut()
    {
        var status = TrainingProgressDisplay.FormatStatus(Report(TrainingProgressKind.Step, 0), stepsPerEpoch: null, TimeSpan.FromSeconds(3));

        status.Should().Be("epoch 1/10  step 1  train -  val -  1,234 tok/s  0:00:03");
    }

    [Fact]
    public void Report_LogsEvaluationsAndSamples_AndThrottlesOnlyStepUpdates()
    {
        var statuses = new List<string>();
        var log = new StringWriter { NewLine = "\n" };
        var display = new TrainingProgressDisplay(statuses.Add, log, stepsPerEpoch: 9, minInterval: TimeSpan.FromHours(1));

        display.Report(null, Report(TrainingProgressKind.Step, 0));
        display.Report(null, Report(TrainingProgressKind.Evaluation, 0, 9.781, 9.933));
        display.Report(null, Report(TrainingProgressKind.Step, 1));            // within the interval: not redrawn
        display.Report(null, Report(TrainingProgressKind.EpochEnd, 8, 9.781, 9.933, "Every effort moves you,\nand"));
        display.Complete();

        log.ToString().Split('\n').Should().Equal(
            "Ep 1 (Step 000000): Train loss 9.781, Val loss 9.933",
            "Every effort moves you, and",
            statuses[^1],
            "");
        statuses.Should().HaveCount(4, "the first step, the evaluation, the epoch end and the final status redraw; the second step does not");
        statuses[0].Should().StartWith("epoch 1/10  step 1/90 ");
        statuses[^1].Should().StartWith("epoch 1/10  step 9/90 ").And.Contain("train 9.781  val 9.933");
        display.Last!.GlobalStep.Should().Be(8);
    }

    [Fact]
    public void Complete_BeforeAnyReport_DoesNothing()
    {
        var statuses = new List<string>();
        var log = new StringWriter();

        new TrainingProgressDisplay(statuses.Add, log).Complete();

        statuses.Should().BeEmpty();
        log.ToString().Should().BeEmpty();
    }

    [Fact]
    public void Constructor_Throws_ForStepsPerEpochBelowOne()
    {
        var act = () => new TrainingProgressDisplay(_ => { }, TextWriter.Null, stepsPerEpoch: 0);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("stepsPerEpoch");
    }
}
