using System.Diagnostics;

namespace Course.Cli.Bench;

/// <summary>Timing helpers: warm up, then take the median of several timed repeats (robust to a noisy machine).</summary>
public static class Measure
{
    public static double MedianSeconds(Action action, int warmup, int repeats)
    {
        for (var i = 0; i < warmup; i++) action();
        var times = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>
    /// Warm up, then the fastest of several timed repeats: the right statistic for a ceiling (what the machine can do),
    /// since other processes on a shared machine only ever make a run slower.
    /// </summary>
    public static double BestSeconds(Action action, int warmup, int repeats)
    {
        for (var i = 0; i < warmup; i++) action();
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>Resident set size of this process in bytes (Linux: /proc/self/statm; elsewhere the working set).</summary>
    public static long ResidentBytes()
    {
        if (OperatingSystem.IsLinux() && File.Exists("/proc/self/statm"))
        {
            var pages = long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1]);
            return pages * Environment.SystemPageSize;
        }
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }
}
