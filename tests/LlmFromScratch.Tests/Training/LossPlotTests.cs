using System.Text.Json;
using LlmFromScratch.Training;
using Plotly.NET;

namespace LlmFromScratch.Tests.Training;

public class LossPlotTests
{
    private static JsonElement Json(GenericChart chart) => JsonDocument.Parse(GenericChart.toJson(chart)).RootElement;

    private static double[] Numbers(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    [Fact]
    public void Create_PlotsLossesAgainstEvenlySpacedEpochs_WithTokensSeenOnATopAxis()
    {
        var json = Json(LossPlot.Create([9.781, 8.111, 6.661], [9.933, 8.339, 7.048], [512, 3072, 5632], numEpochs: 10));

        var data = json.GetProperty("data");
        data.GetArrayLength().Should().Be(3);
        data[0].GetProperty("name").GetString().Should().Be("Training loss");
        Numbers(data[0].GetProperty("x")).Should().Equal(0, 5, 10);        // the book's torch.linspace(0, num_epochs, n)
        Numbers(data[1].GetProperty("y")).Should().Equal(9.933, 8.339, 7.048);
        Numbers(data[2].GetProperty("x")).Should().Equal(512, 3072, 5632);
        data[2].GetProperty("xaxis").GetString().Should().Be("x2");
        data[2].GetProperty("opacity").GetDouble().Should().Be(0);
        var layout = json.GetProperty("layout");
        layout.GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString().Should().Be("Epochs");
        var top = layout.GetProperty("xaxis2");
        top.GetProperty("title").GetProperty("text").GetString().Should().Be("Tokens seen");
        top.GetProperty("side").GetString().Should().Be("top");
        top.GetProperty("overlaying").GetString().Should().Be("x");
    }

    [Fact]
    public void Create_Throws_WhenTheSeriesDifferInLength()
    {
        var act = () => LossPlot.Create([1.0, 2.0], [1.0], [10, 20], numEpochs: 1);

        act.Should().Throw<ArgumentException>().WithMessage("*2 training losses, 1 validation losses, 2 token counts*");
    }

    [Fact]
    public void Create_Throws_ForAHistoryWithoutEvaluations()
    {
        var act = () => LossPlot.Create(new TrainingHistory(), numEpochs: 1);

        act.Should().Throw<ArgumentException>().WithMessage("*no evaluation*");
    }

    [Fact]
    public void LearningRates_PlotsOneValuePerStep()
    {
        var lrs = new LearningRateSchedule(peakLr: 1e-3, totalSteps: 10, warmupSteps: 2).Curve();

        var data = Json(LossPlot.LearningRates(lrs)).GetProperty("data");

        Numbers(data[0].GetProperty("x")).Should().Equal(Enumerable.Range(0, 10).Select(i => (double)i));
        Numbers(data[0].GetProperty("y")).Should().Equal(lrs);
    }

    [Fact]
    public void Compare_Throws_WithoutRuns()
    {
        var act = () => LossPlot.Compare([], numEpochs: 1);

        act.Should().Throw<ArgumentException>().WithParameterName("runs");
    }
}
