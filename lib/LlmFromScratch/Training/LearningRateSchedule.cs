namespace LlmFromScratch.Training;

/// <summary>
/// Appendix D's learning-rate schedule: a linear warm-up from <see cref="InitialLr"/> to <see cref="PeakLr"/> over
/// <see cref="WarmupSteps"/> steps, then cosine decay to <see cref="MinLr"/> at <see cref="TotalSteps"/>. Steps are
/// 0-based like the book's <c>global_step</c>: step 0 gets <see cref="InitialLr"/>, step <see cref="WarmupSteps"/> gets
/// <see cref="PeakLr"/>, step <see cref="TotalSteps"/> (one past the last step of a run of that length) gets
/// <see cref="MinLr"/>. Steps beyond <see cref="TotalSteps"/> stay at <see cref="MinLr"/> (the book's formula would
/// climb back up the cosine).
/// </summary>
/// <example>
/// <code>
/// var schedule = new LearningRateSchedule(peakLr: 1e-3, totalSteps: 135, warmupSteps: 27, initialLr: 1e-4, minLr: 1e-5);
/// double[] lrs = schedule.Curve();   // one value per step, for a plot
/// </code>
/// </example>
public sealed record LearningRateSchedule
{
    /// <summary>Creates a schedule; every argument is checked.</summary>
    /// <param name="peakLr">Learning rate at the end of warm-up, &gt; 0.</param>
    /// <param name="totalSteps">Steps in the whole run (batches per epoch × epochs), &gt; 0.</param>
    /// <param name="warmupSteps">Warm-up length, in [0, totalSteps); 0 starts the cosine at once.</param>
    /// <param name="initialLr">Learning rate at step 0, in [0, peakLr] (the book's default 3e-5).</param>
    /// <param name="minLr">Floor of the cosine, in [0, peakLr] (the book's default 1e-6).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value outside its range.</exception>
    public LearningRateSchedule(double peakLr, int totalSteps, int warmupSteps = 0, double initialLr = 3e-5, double minLr = 1e-6)
    {
        if (!(peakLr > 0) || double.IsInfinity(peakLr))
            throw new ArgumentOutOfRangeException(nameof(peakLr), peakLr, "peakLr must be a positive finite number");
        if (totalSteps <= 0)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "totalSteps must be at least 1");
        if (warmupSteps < 0 || warmupSteps >= totalSteps)
            throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, $"warmupSteps must be in [0, totalSteps = {totalSteps})");
        if (!(initialLr >= 0 && initialLr <= peakLr))
            throw new ArgumentOutOfRangeException(nameof(initialLr), initialLr, $"initialLr must be in [0, peakLr = {peakLr}]");
        if (!(minLr >= 0 && minLr <= peakLr))
            throw new ArgumentOutOfRangeException(nameof(minLr), minLr, $"minLr must be in [0, peakLr = {peakLr}]");
        PeakLr = peakLr;
        TotalSteps = totalSteps;
        WarmupSteps = warmupSteps;
        InitialLr = initialLr;
        MinLr = minLr;
    }

    /// <summary>Learning rate at the end of warm-up (the optimizer's <c>lr</c> in the book).</summary>
    public double PeakLr { get; }

    /// <summary>Steps in the whole run; the cosine reaches <see cref="MinLr"/> here.</summary>
    public int TotalSteps { get; }

    /// <summary>Steps of linear warm-up.</summary>
    public int WarmupSteps { get; }

    /// <summary>Learning rate at step 0.</summary>
    public double InitialLr { get; }

    /// <summary>Learning rate the cosine decays to.</summary>
    public double MinLr { get; }

    /// <summary>The learning rate for 0-based step <paramref name="step"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
    public double At(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "step must be 0 or more");
        if (step < WarmupSteps)
            return InitialLr + step * ((PeakLr - InitialLr) / WarmupSteps);   // the book's lr_increment
        var progress = Math.Min(1.0, (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps));
        return MinLr + (PeakLr - MinLr) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>The learning rate of every step of the run, steps 0 … <see cref="TotalSteps"/> − 1, for plotting.</summary>
    public double[] Curve()
    {
        var lrs = new double[TotalSteps];
        for (var step = 0; step < TotalSteps; step++) lrs[step] = At(step);
        return lrs;
    }
}
