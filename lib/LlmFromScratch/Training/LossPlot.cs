using Microsoft.FSharp.Core;
using Plotly.NET;
using Chart = Plotly.NET.CSharp.Chart;
using static Plotly.NET.CSharp.GenericChartExtensions;

namespace LlmFromScratch.Training;

/// <summary>
/// Charts of a training run (Plotly.NET): the book's <c>plot_losses</c> (§5.2), several runs side by side
/// (appendix D) and the learning rate per step. In a notebook, make the chart the last expression of a cell.
/// </summary>
public static class LossPlot
{
    /// <summary>
    /// The book's <c>plot_losses</c>: training and validation loss at each evaluation against epochs (bottom axis,
    /// evaluations spread evenly over <c>0 … numEpochs</c> as the book's <c>torch.linspace</c> does), with the tokens
    /// seen on a second axis at the top.
    /// </summary>
    /// <param name="history">The run's history (<see cref="Trainer.History"/>), with at least one evaluation.</param>
    /// <param name="numEpochs">Epochs the run trained for, ≥ 1.</param>
    /// <exception cref="ArgumentException">The history has no evaluation.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numEpochs"/> is below 1.</exception>
    public static GenericChart Create(TrainingHistory history, int numEpochs)
    {
        ArgumentNullException.ThrowIfNull(history);
        return Create(history.TrainLosses, history.ValLosses, history.TokensSeen, numEpochs);
    }

    /// <inheritdoc cref="Create(TrainingHistory, int)"/>
    /// <param name="trainLosses">Training loss at each evaluation.</param>
    /// <param name="valLosses">Validation loss at each evaluation (same count).</param>
    /// <param name="tokensSeen">Tokens seen at each evaluation (same count).</param>
    /// <param name="numEpochs">Epochs the run trained for, ≥ 1.</param>
    public static GenericChart Create(IReadOnlyList<double> trainLosses, IReadOnlyList<double> valLosses, IReadOnlyList<long> tokensSeen, int numEpochs)
    {
        ArgumentNullException.ThrowIfNull(trainLosses);
        ArgumentNullException.ThrowIfNull(valLosses);
        ArgumentNullException.ThrowIfNull(tokensSeen);
        if (numEpochs < 1) throw new ArgumentOutOfRangeException(nameof(numEpochs), numEpochs, "numEpochs must be at least 1");
        if (trainLosses.Count == 0) throw new ArgumentException("there is no evaluation to plot", nameof(trainLosses));
        if (valLosses.Count != trainLosses.Count || tokensSeen.Count != trainLosses.Count)
            throw new ArgumentException(
                $"the series differ in length: {trainLosses.Count} training losses, {valLosses.Count} validation losses, {tokensSeen.Count} token counts",
                nameof(valLosses));

        var epochs = Epochs(numEpochs, trainLosses.Count);
        var train = Chart.Line<double, double, string>(epochs, trainLosses, Name: "Training loss");
        var val = Chart.Line<double, double, string>(epochs, valLosses, Name: "Validation loss", LineDash: StyleParam.DrawingStyle.DashDot);
        // The book's ax1.twiny(): an invisible copy of the training curve against tokens seen gives the top axis its ticks.
        var tokens = OnSecondXAxis(Chart.Line<long, double, string>(tokensSeen, trainLosses, Name: "tokens seen", ShowLegend: false, Opacity: 0.0));
        return WithTokensAxis(Chart.Combine([train, val, tokens]))
            .WithYAxisStyle<double, double, string>(TitleText: "Loss")
            .WithSize(640, 380);
    }

    /// <summary>
    /// Several runs in one chart (appendix D: with and without warm-up, cosine decay and clipping): each run's
    /// training loss (solid) and validation loss (dash-dot) against epochs.
    /// </summary>
    /// <param name="runs">A name and history per run, each with at least one evaluation.</param>
    /// <param name="numEpochs">Epochs each run trained for, ≥ 1.</param>
    /// <exception cref="ArgumentException">No run, or a run without evaluations.</exception>
    public static GenericChart Compare(IEnumerable<(string Name, TrainingHistory History)> runs, int numEpochs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (numEpochs < 1) throw new ArgumentOutOfRangeException(nameof(numEpochs), numEpochs, "numEpochs must be at least 1");
        var charts = new List<GenericChart>();
        foreach (var (name, history) in runs)
        {
            if (history.TrainLosses.Count == 0) throw new ArgumentException($"run '{name}' has no evaluation to plot", nameof(runs));
            var epochs = Epochs(numEpochs, history.TrainLosses.Count);
            charts.Add(Chart.Line<double, double, string>(epochs, history.TrainLosses, Name: $"{name}: training"));
            charts.Add(Chart.Line<double, double, string>(epochs, history.ValLosses, Name: $"{name}: validation", LineDash: StyleParam.DrawingStyle.DashDot));
        }
        if (charts.Count == 0) throw new ArgumentException("there is no run to plot", nameof(runs));
        return Chart.Combine(charts)
            .WithXAxisStyle<double, double, string>(TitleText: "Epochs")
            .WithYAxisStyle<double, double, string>(TitleText: "Loss")
            .WithSize(720, 400);
    }

    /// <summary>The learning rate of every step (appendix D's <c>track_lrs</c> plot).</summary>
    /// <param name="learningRates">One value per step, e.g. <see cref="TrainingHistory.LearningRates"/> or <see cref="LearningRateSchedule.Curve"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="learningRates"/> is empty.</exception>
    public static GenericChart LearningRates(IReadOnlyList<double> learningRates)
    {
        ArgumentNullException.ThrowIfNull(learningRates);
        if (learningRates.Count == 0) throw new ArgumentException("there is no learning rate to plot", nameof(learningRates));
        return Chart.Line<int, double, string>(Enumerable.Range(0, learningRates.Count), learningRates, Name: "learning rate")
            .WithXAxisStyle<int, int, string>(TitleText: "Step")
            .WithYAxisStyle<double, double, string>(TitleText: "Learning rate")
            .WithSize(640, 320);
    }

    /// <summary>The book's <c>torch.linspace(0, num_epochs, n)</c>.</summary>
    private static double[] Epochs(int numEpochs, int count) =>
        count == 1 ? [0.0] : Enumerable.Range(0, count).Select(i => numEpochs * (double)i / (count - 1)).ToArray();

    private static GenericChart OnSecondXAxis(GenericChart chart) =>
        Plotly.NET.Chart.withAxisAnchor(X: FSharpOption<int>.Some(2), Y: FSharpOption<int>.None).Invoke(chart);

    private static GenericChart WithTokensAxis(GenericChart chart) =>
        chart.WithXAxisStyle<double, double, string>(TitleText: "Epochs")
            .WithXAxisStyle<long, long, string>(TitleText: "Tokens seen", Side: StyleParam.Side.Top,
                Overlaying: StyleParam.LinearAxisId.NewX(1), ShowGrid: false, Id: StyleParam.SubPlotId.NewXAxis(2));
}
