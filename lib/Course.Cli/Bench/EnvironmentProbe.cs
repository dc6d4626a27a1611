using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Course.Cli.Bench;

/// <summary>
/// Re-runs the float32 training measurement in child processes under different environments: memory allocators
/// (one that keeps freed memory avoids the page faults of memory mapped fresh every step), libtorch's huge pages, and
/// OpenMP's wait policy (spinning threads hurt when the cores are shared). Each child is this same command
/// (<c>course bench --probe FILE</c>) with a different environment, so the settings are compared in fresh processes.
/// </summary>
public static class EnvironmentProbe
{
    /// <summary>Environment variables a setting may change; cleared for the default setting.</summary>
    private static readonly string[] TunedVariables =
        ["LD_PRELOAD", "MALLOC_CONF", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "THP_MEM_ALLOC_ENABLE",
         "OMP_WAIT_POLICY", "GOMP_SPINCOUNT"];

    /// <summary>
    /// jemalloc with purging switched off, as PyTorch's CPU tuning guides suggest: freed memory is kept for the next
    /// step instead of being returned to the kernel (and faulted in again). oversize_threshold:1 keeps large tensors out
    /// of jemalloc's arena for huge allocations, which purges eagerly. With jemalloc's defaults the 124M step faulted
    /// more than with glibc.
    /// </summary>
    public const string JemallocConfig = "oversize_threshold:1,dirty_decay_ms:-1,muzzy_decay_ms:-1";

    public sealed record Setting(string Key, string Label, IReadOnlyDictionary<string, string> Environment, string? Unavailable = null)
    {
        public string Describe() => Environment.Count == 0 ? "(none)" : string.Join(" ", Environment.Select(kv => $"{kv.Key}={kv.Value}"));
    }

    public sealed record Result(Setting Setting, double? TokensPerSecond, double? MinorFaultsPerStep, double? SystemShare,
        double? CpuSecondsPerStep, string? Error);

    public static IReadOnlyList<Setting> Settings(bool quick)
    {
        var jemalloc = FindLibrary("libjemalloc.so.2");
        var tcmalloc = FindLibrary("libtcmalloc_minimal.so.4") ?? FindLibrary("libtcmalloc.so.4");
        const string noJemalloc = "libjemalloc.so.2 not found (Debian/Ubuntu: apt-get install libjemalloc2)";
        var settings = new List<Setting> { new("glibc", "glibc malloc (default)", Env()) };
        if (!quick) settings.Add(new("passive", "OpenMP threads sleep when idle", Env(("OMP_WAIT_POLICY", "PASSIVE"))));
        settings.Add(jemalloc is null
            ? new("jemalloc", "jemalloc", Env(), noJemalloc)
            : new("jemalloc", "jemalloc, no purging", Env(("LD_PRELOAD", jemalloc), ("MALLOC_CONF", JemallocConfig))));
        if (quick) return settings;
        settings.Add(jemalloc is null
            ? new("jemalloc_passive", "jemalloc + sleeping OpenMP threads", Env(), noJemalloc)
            : new("jemalloc_passive", "jemalloc + sleeping OpenMP threads",
                Env(("LD_PRELOAD", jemalloc), ("MALLOC_CONF", JemallocConfig), ("OMP_WAIT_POLICY", "PASSIVE"))));
        settings.Add(tcmalloc is null
            ? new("tcmalloc", "tcmalloc", Env(), "libtcmalloc_minimal.so.4 not found (apt-get install libtcmalloc-minimal4)")
            : new("tcmalloc", "tcmalloc", Env(("LD_PRELOAD", tcmalloc))));
        return settings;
    }

    private static Dictionary<string, string> Env(params (string Name, string Value)[] variables) =>
        variables.ToDictionary(v => v.Name, v => v.Value);

    public static Result Run(Setting setting, bool quick, TimeSpan timeout)
    {
        if (setting.Unavailable is not null) return new(setting, null, null, null, null, setting.Unavailable);
        var output = Path.Combine(Path.GetTempPath(), $"course-bench-probe-{Environment.ProcessId}-{setting.Key}.json");
        try
        {
            var psi = SelfInvocation();
            psi.ArgumentList.Add("bench");
            psi.ArgumentList.Add("--probe");
            psi.ArgumentList.Add(output);
            if (quick) psi.ArgumentList.Add("--quick");
            psi.RedirectStandardOutput = true;
            psi.RedirectStandardError = true;
            foreach (var name in TunedVariables) psi.Environment.Remove(name);
            foreach (var (name, value) in setting.Environment) psi.Environment[name] = value;
            using var child = Process.Start(psi) ?? throw new InvalidOperationException("could not start the child process");
            var stdout = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            if (!child.WaitForExit(timeout))
            {
                child.Kill(entireProcessTree: true);
                return new(setting, null, null, null, null, $"timed out after {timeout.TotalSeconds:F0} s");
            }
            if (child.ExitCode != 0 || !File.Exists(output))
                return new(setting, null, null, null, null, $"exit code {child.ExitCode}: {Last(stderr.Result + stdout.Result)}");
            var json = JsonNode.Parse(File.ReadAllText(output))!;
            return new(setting, (double?)json["tokens_per_s"], (double?)json["minor_faults_per_step"], (double?)json["system_share"],
                (double?)json["cpu_seconds_per_step"], null);
        }
        catch (Exception e)
        {
            return new(setting, null, null, null, null, e.Message);
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>The allocator this process runs with, from the libraries mapped into it.</summary>
    public static string CurrentAllocator()
    {
        if (!OperatingSystem.IsLinux()) return "platform default";
        try
        {
            var maps = File.ReadAllText("/proc/self/maps");
            return maps.Contains("libjemalloc") ? "jemalloc" : maps.Contains("libtcmalloc") ? "tcmalloc" : "glibc malloc";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>The tuning variables set in this process's environment, or "none".</summary>
    public static string CurrentSettings()
    {
        var set = TunedVariables.Where(v => v != "LD_PRELOAD" && Environment.GetEnvironmentVariable(v) is not null)
            .Select(v => $"{v}={Environment.GetEnvironmentVariable(v)}").ToList();
        return set.Count == 0 ? "none" : string.Join(" ", set);
    }

    /// <summary>How to start this same program again: the apphost, or dotnet with this assembly.</summary>
    private static ProcessStartInfo SelfInvocation()
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var psi = new ProcessStartInfo(host) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            psi.ArgumentList.Add(typeof(EnvironmentProbe).Assembly.Location);
        return psi;
    }

    private static string? FindLibrary(string name)
    {
        string[] folders = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib", "/lib/x86_64-linux-gnu"];
        return OperatingSystem.IsLinux() ? folders.Select(f => Path.Combine(f, name)).FirstOrDefault(File.Exists) : null;
    }

    private static string Last(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no output)" : lines[^1];
    }
}
