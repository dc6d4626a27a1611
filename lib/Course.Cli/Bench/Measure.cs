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
