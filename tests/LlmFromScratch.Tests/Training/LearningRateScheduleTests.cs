using LlmFromScratch.Training;

namespace LlmFromScratch.Tests.Training;

public class LearningRateScheduleTests
{
    // Warm up from 1e-4 to 1e-3 over 20 steps, then cosine down to 1e-5 by step 100.
    private static readonly LearningRateSchedule Schedule = new(peakLr: 1e-3, totalSteps: 100, warmupSteps: 20, initialLr: 1e-4, minLr: 1e-5);

    [Fact]
    public void At_StepZero_IsTheInitialLr() => Schedule.At(0).Should().Be(1e-4);

    [Fact]
    public void At_HalfwayThroughWarmup_IsLinearBetweenInitialAndPeak()
    {
        // 1e-4 + 10 · (9e-4 / 20) = 5.5e-4; the last warm-up step, 19, is 1e-4 + 19 · 4.5e-5 = 9.55e-4.
        Schedule.At(10).Should().BeApproximately(5.5e-4, 1e-15);
        Schedule.At(19).Should().BeApproximately(9.55e-4, 1e-15);
    }

    [Fact]
    public void At_EndOfWarmup_IsThePeakLr() => Schedule.At(20).Should().BeApproximately(1e-3, 1e-15);

    [Fact]
    public void At_HalfwayThroughDecay_IsMidwayBetweenPeakAndMin()
    {
        // Step 60 is progress 0.5: cos(π/2) = 0, so 1e-5 + (1e-3 − 1e-5) / 2 = 5.05e-4.
        Schedule.At(60).Should().BeApproximately(5.05e-4, 1e-15);
    }

    [Fact]
    public void At_TotalSteps_IsTheMinLr_AndStaysThere()
    {
        Schedule.At(100).Should().BeApproximately(1e-5, 1e-18);
        Schedule.At(150).Should().BeApproximately(1e-5, 1e-18);
    }

    [Fact]
    public void At_WithoutWarmup_StartsAtThePeak() =>
        new LearningRateSchedule(peakLr: 5e-4, totalSteps: 10).At(0).Should().Be(5e-4);

    [Fact]
    public void Curve_HasOneValuePerStep_PeakingAtTheEndOfWarmup()
    {
        var curve = Schedule.Curve();

        curve.Should().HaveCount(100);
        curve.Should().Equal(Enumerable.Range(0, 100).Select(s => Schedule.At(s)));
        Array.IndexOf(curve, curve.Max()).Should().Be(20);
        curve[^1].Should().BeGreaterThan(1e-5).And.BeLessThan(1.1e-5);
    }

    [Fact]
    public void At_Throws_ForANegativeStep() =>
        FluentActions.Invoking(() => Schedule.At(-1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("step");

    [Theory]
    [InlineData(0.0, 100, 20, 1e-4, 1e-5, "peakLr")]
    [InlineData(1e-3, 0, 0, 1e-4, 1e-5, "totalSteps")]
    [InlineData(1e-3, 100, 100, 1e-4, 1e-5, "warmupSteps")]
    [InlineData(1e-3, 100, -1, 1e-4, 1e-5, "warmupSteps")]
    [InlineData(1e-3, 100, 20, 2e-3, 1e-5, "initialLr")]
    [InlineData(1e-3, 100, 20, 1e-4, -1e-5, "minLr")]
    public void Constructor_Throws_ForValuesOutsideTheirRange(double peak, int total, int warmup, double initial, double min, string parameter)
    {
        var act = () => new LearningRateSchedule(peak, total, warmup, initial, min);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(parameter);
    }
}
