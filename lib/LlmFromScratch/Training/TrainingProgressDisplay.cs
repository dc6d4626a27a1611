using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace LlmFromScratch.Training;

/// <summary>
/// Shows a <see cref="Trainer"/>'s progress while it runs: one status line that is replaced in place (epoch, step,
/// a progress bar, latest losses, tokens/s, elapsed time and an estimate of the time left) plus the book's log lines
/// (<c>Ep 1 (Step 000000): Train loss 9.781, Val loss 9.933</c> after each evaluation, the sample after each epoch).
/// </summary>
/// <remarks>
/// <para>In a .NET Interactive notebook, <see cref="Create"/> shows the status line as a cell output that it updates
/// with the kernel's <c>display(...)</c> / <c>DisplayedValue.Update(...)</c> (found by reflection, so the library does
/// not depend on the notebook packages); log lines go to the console, below it. Anywhere else (a console app, an
/// exported chapter), the status line is rewritten with a carriage return on an interactive console and left out
/// when the output is redirected, where only the log lines are printed.</para>
/// <para>A headless run (<c>course run</c>) records only a notebook's first display and prints nothing until a cell
/// ends; set the environment variable <c>COURSE_PROGRESS_LOG</c> to a file path and <see cref="Create"/> also appends
/// every log line and every non-step status, time-stamped, to that file (follow it with <c>tail -f</c>).</para>
/// <para>Subscribe <see cref="Report"/> to <see cref="Trainer.Progress"/> and call <see cref="Complete"/> after
/// <see cref="Trainer.Train"/> returns: it shows the final status and prints it as a log line, so the last state
/// survives where in-place updates are not recorded (an executed notebook keeps only the first display).</para>
/// </remarks>
/// <example>
/// <code>
/// var progress = TrainingProgressDisplay.Create(stepsPerEpoch: trainLoader.Count);
/// trainer.Progress += progress.Report;
/// trainer.Train();
/// progress.Complete();
/// </code>
/// </example>
public sealed class TrainingProgressDisplay
{
    private const int BarWidth = 24;
    private readonly Action<string> _status;
    private readonly TextWriter _log;
    private readonly int? _stepsPerEpoch;
    private readonly TimeSpan _minInterval;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _lastUpdate;
    private TrainingProgress? _last;
    private StreamWriter? _mirror;
    private long? _stepsBefore;   // steps done before this display saw the run (a resumed run starts part-way)

    /// <summary>Creates a display that sends status lines to <paramref name="status"/> and log lines to <paramref name="log"/>.</summary>
    /// <param name="status">Replaces the status line with new text (a notebook display's <c>Update</c>, a test's list).</param>
    /// <param name="log">Receives the book's log lines; the console when null.</param>
    /// <param name="stepsPerEpoch">Training batches per epoch (the loader's <c>Count</c>), for the progress bar and time left; null shows neither.</param>
    /// <param name="minInterval">Step reports closer together than this do not redraw the status (evaluations, epoch ends and the final status always do). Default 0.2 s.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepsPerEpoch"/> is below 1, or <paramref name="minInterval"/> is negative.</exception>
    public TrainingProgressDisplay(Action<string> status, TextWriter? log = null, int? stepsPerEpoch = null, TimeSpan? minInterval = null)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (stepsPerEpoch is < 1)
            throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "stepsPerEpoch must be at least 1, or null when unknown");
        if (minInterval is { } m && m < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(minInterval), minInterval, "minInterval must not be negative");
        _status = status;
        _log = log ?? Console.Out;
        _stepsPerEpoch = stepsPerEpoch;
        _minInterval = minInterval ?? TimeSpan.FromSeconds(0.2);
    }

    /// <summary>
    /// A display for wherever the code runs: an updating notebook output inside a .NET Interactive kernel, otherwise
    /// the console (see the remarks).
    /// </summary>
    /// <param name="stepsPerEpoch">Training batches per epoch, for the progress bar and time left; null shows neither.</param>
    public static TrainingProgressDisplay Create(int? stepsPerEpoch = null)
    {
        const string waiting = "training: waiting for the first step…";
        TrainingProgressDisplay display;
        if (NotebookDisplay(waiting) is { } update) display = new TrainingProgressDisplay(update, Console.Out, stepsPerEpoch);
        else if (!Console.IsOutputRedirected)
            display = new TrainingProgressDisplay(text => Console.Write("\r" + text.PadRight(Math.Max(text.Length, SafeWindowWidth() - 1))), new ConsoleLog(), stepsPerEpoch);
        else display = new TrainingProgressDisplay(_ => { }, Console.Out, stepsPerEpoch);
        display._mirror = OpenMirror();
        return display;
    }

    /// <summary>The latest report received, or null before the first.</summary>
    public TrainingProgress? Last => _last;

    /// <summary>Handles one report; its signature fits <c>trainer.Progress += display.Report</c>.</summary>
    public void Report(object? sender, TrainingProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        _last = progress;
        _stepsBefore ??= progress.GlobalStep;
        switch (progress.Kind)
        {
            case TrainingProgressKind.Evaluation:
                Log(FormatEvaluation(progress));
                break;
            case TrainingProgressKind.EpochEnd when progress.Sample is { } sample:
                Log(sample.Replace("\n", " ", StringComparison.Ordinal));   // the book's compact print
                break;
        }
        var now = _clock.Elapsed;
        if (progress.Kind == TrainingProgressKind.Step && _lastUpdate is { } last && now - last < _minInterval) return;
        _lastUpdate = now;
        var status = FormatStatus(progress, _stepsPerEpoch, now, _stepsBefore ?? 0);
        _status(status);
        if (progress.Kind != TrainingProgressKind.Step) Mirror(status);
    }

    /// <summary>Shows the final status and writes it as a log line; call it after training returns.</summary>
    public void Complete()
    {
        if (_last is null) return;
        var text = FormatStatus(_last, _stepsPerEpoch, _clock.Elapsed, _stepsBefore ?? 0);
        _status(text);
        Log(text);
        _mirror?.Dispose();
        _mirror = null;
    }

    private void Log(string line)
    {
        _log.WriteLine(line);
        Mirror(line);
    }

    private void Mirror(string line) =>
        _mirror?.WriteLine($"{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {line}");

    /// <summary>The file named by <c>COURSE_PROGRESS_LOG</c>, opened for appending, or null.</summary>
    private static StreamWriter? OpenMirror()
    {
        if (Environment.GetEnvironmentVariable("COURSE_PROGRESS_LOG") is not { Length: > 0 } path) return null;
        try
        {
            return new StreamWriter(path, append: true) { AutoFlush = true };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"COURSE_PROGRESS_LOG: cannot write to {path} ({e.Message}); progress goes only to the display");
            return null;
        }
    }

    /// <summary>The book's evaluation line: <c>Ep 1 (Step 000000): Train loss 9.781, Val loss 9.933</c>.</summary>
    public static string FormatEvaluation(TrainingProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return string.Create(CultureInfo.InvariantCulture,
            $"Ep {progress.Epoch + 1} (Step {progress.GlobalStep:D6}): Train loss {progress.TrainLoss:F3}, Val loss {progress.ValLoss:F3}");
    }

    /// <summary>
    /// The status line, e.g. <c>epoch 3/10  step 22/90 [######------------------]  24%  train 5.726  val 6.600  1,234 tok/s  0:01:32, ~0:04:51 left</c>.
    /// </summary>
    /// <param name="progress">The latest report.</param>
    /// <param name="stepsPerEpoch">Batches per epoch, for the bar and the time left; null leaves both out.</param>
    /// <param name="elapsed">Wall time since training started (or resumed).</param>
    /// <param name="stepsBefore">Steps already done when <paramref name="elapsed"/> started counting (a resumed run); the time left
    /// is extrapolated from the steps done since.</param>
    public static string FormatStatus(TrainingProgress progress, int? stepsPerEpoch, TimeSpan elapsed, long stepsBefore = 0)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        var stepsDone = progress.GlobalStep + 1;
        var epoch = Math.Min(progress.Epoch + 1, progress.NumEpochs);
        text.Append(inv, $"epoch {epoch}/{progress.NumEpochs}  step {stepsDone}");
        long? remaining = null;
        if (stepsPerEpoch is { } perEpoch)
        {
            var total = (long)perEpoch * progress.NumEpochs;
            var fraction = total == 0 ? 1 : Math.Clamp((double)stepsDone / total, 0, 1);
            var filled = (int)Math.Round(fraction * BarWidth);
            text.Append(inv, $"/{total} [").Append('#', filled).Append('-', BarWidth - filled).Append(inv, $"] {fraction,4:P0}");
            remaining = Math.Max(0, total - stepsDone);
        }
        text.Append(inv, $"  train {Loss(progress.TrainLoss)}  val {Loss(progress.ValLoss)}");
        text.Append(inv, $"  {progress.TokensPerSecond:N0} tok/s  {Clock(elapsed)}");
        var doneHere = stepsDone - stepsBefore;
        if (remaining is > 0 && doneHere > 0)
            text.Append(inv, $", ~{Clock(elapsed * ((double)remaining.Value / doneHere))} left");
        return text.ToString();

        static string Loss(double? value) => value is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "-";
        static string Clock(TimeSpan t) => t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture);
    }

    /// <summary>The kernel's <c>display(initial)</c> and a function that updates it, or null outside a .NET Interactive cell.</summary>
    private static Action<string>? NotebookDisplay(string initial)
    {
        try
        {
            var interactive = AppDomain.CurrentDomain.GetAssemblies()
                .FirstOrDefault(a => a.GetName().Name == "Microsoft.DotNet.Interactive");
            var context = interactive?.GetType("Microsoft.DotNet.Interactive.KernelInvocationContext")
                ?.GetProperty("Current", BindingFlags.Public | BindingFlags.Static)?.GetValue(null);
            if (context is null) return null;
            var display = interactive!.GetType("Microsoft.DotNet.Interactive.Kernel")
                ?.GetMethod("display", BindingFlags.Public | BindingFlags.Static, [typeof(object), typeof(string[])]);
            var shown = display?.Invoke(null, [initial, new[] { "text/plain" }]);
            var update = shown?.GetType().GetMethod("Update", [typeof(object)]);
            if (update is null) return null;
            return text => update.Invoke(shown, [text]);
        }
        catch (Exception e) when (e is TargetInvocationException or InvalidOperationException or AmbiguousMatchException)
        {
            return null;   // a kernel version with another API: fall back to the console
        }
    }

    private static int SafeWindowWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 100;
        }
        catch (IOException)
        {
            return 100;
        }
    }

    /// <summary>Console log lines that start on a fresh line after a carriage-return status line.</summary>
    private sealed class ConsoleLog : TextWriter
    {
        public override Encoding Encoding => Console.OutputEncoding;

        public override void Write(char value) => Console.Write(value);

        public override void WriteLine(string? value)
        {
            Console.Write("\r" + new string(' ', SafeWindowWidth() - 1) + "\r");
            Console.WriteLine(value);
        }
    }
}
