using System.Diagnostics;
using System.Runtime.InteropServices;
using LlmFromScratch.Data;
using LlmFromScratch.Runtime;
using Spectre.Console;

namespace Course.Cli.Commands;

/// <summary>
/// `course doctor`: checks what the course needs, prints each finding with its fix, and exits 0 when the CPU
/// path is usable. Each check is independent, so one failure never hides the others.
/// </summary>
public static class DoctorCommand
{
    private enum Level { Ok, Note, Warn, Fail }

    private sealed record Finding(string Check, Level Level, string What, string Fix = "");

    public static int Run(Args args)
    {
        args.Rest();
        var findings = new List<Finding> { Sdk(), LibStdCxx(), SystemLibTorch() };
        var torchLoads = LibTorch(findings);
        if (torchLoads) findings.Add(Cuda());
        findings.Add(DataCache());

        foreach (var f in findings)
        {
            AnsiConsole.MarkupLine($"{Mark(f.Level)} [bold]{Markup.Escape(f.Check)}[/]: {Markup.Escape(f.What)}");
            if (f.Fix.Length > 0) AnsiConsole.MarkupLine($"       fix: {Markup.Escape(f.Fix)}");
        }
        var usable = findings.All(f => f.Level != Level.Fail);
        Console.WriteLine(usable ? "The CPU path is usable." : "The course cannot run here yet: see the fixes above.");
        return usable ? 0 : 1;
    }

    private static string Mark(Level l) => l switch
    {
        Level.Ok => "[green]ok  [/]  ",
        Level.Note => "[blue]note[/]  ",
        Level.Warn => "[yellow]warn[/]  ",
        _ => "[red]FAIL[/]  ",
    };

    private static Finding Sdk()
    {
        var sdk = Capture("dotnet", "--version")?.Trim();
        return sdk is null
            ? new("SDK", Level.Fail, "'dotnet' is not on PATH", "install the .NET 10 SDK")
            : sdk.StartsWith("10.") || int.TryParse(sdk.Split('.')[0], out var major) && major > 10
                ? new("SDK", Level.Ok, $".NET SDK {sdk}, runtime {Environment.Version}")
                : new("SDK", Level.Fail, $".NET SDK {sdk}", "install the .NET 10 SDK (global.json asks for 10.0.x)");
    }

    private static Finding LibStdCxx()
    {
        if (!OperatingSystem.IsLinux()) return new("libstdc++", Level.Ok, "not needed on this OS");
        var libs = LoaderPaths("libstdc++.so.6");
        if (libs.Count == 0) return new("libstdc++", Level.Fail, "no libstdc++.so.6 found", "install libstdc++6");
        var best = libs.Select(l => (Path: l, Level: GlibcxxLevel(l))).MaxBy(l => l.Level);
        return best.Level >= 32
            ? new("libstdc++", Level.Ok, $"{best.Path} provides GLIBCXX_3.4.{best.Level}")
            : new("libstdc++", Level.Fail, $"{best.Path} provides only GLIBCXX_3.4.{best.Level}; TorchSharp 0.107 needs 3.4.32",
                "bash .devcontainer/install-prereqs.sh (./course runs it for you)");
    }

    private static Finding SystemLibTorch()
    {
        if (!OperatingSystem.IsLinux()) return new("system libtorch", Level.Ok, "not checked on this OS");
        var found = LoaderPaths("libtorch_cpu.so").Concat(LoaderPaths("libtorch.so")).Distinct().ToList();
        return found.Count == 0
            ? new("system libtorch", Level.Ok, "none on the loader path (TorchSharp uses its own)")
            : new("system libtorch", Level.Warn, $"a libtorch is on the loader path: {string.Join(", ", found)}",
                "remove it from LD_LIBRARY_PATH / ldconfig: TorchSharp may load it instead of its own libtorch 2.10 and fail");
    }

    private static bool LibTorch(List<Finding> findings)
    {
        try
        {
            using var t = TorchSharp.torch.ones(2, 2).matmul(TorchSharp.torch.ones(2, 2));
            var ok = t.sum().item<float>() == 8f;
            var loaded = LoadedLibTorch();
            var own = loaded is null || loaded.Contains("runtimes") || loaded.Contains("TorchSharp", StringComparison.OrdinalIgnoreCase)
                      || loaded.StartsWith(Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location)!);
            findings.Add(ok && own
                ? new("libtorch", Level.Ok, $"loads and computes ({CourseEnvironment.Describe()})" + (loaded is null ? "" : $"; from {loaded}"))
                : new("libtorch", Level.Fail, $"loaded from {loaded}, which is not TorchSharp's own copy",
                    "remove the system-wide libtorch from the loader path"));
            return ok;
        }
        catch (Exception e)
        {
            var inner = e;
            while (inner.InnerException is not null) inner = inner.InnerException;
            findings.Add(new("libtorch", Level.Fail, $"does not load: {inner.Message}",
                inner.Message.Contains("GLIBCXX") ? "bash .devcontainer/install-prereqs.sh" : "run `dotnet build course.sln` and check the libstdc++ and system libtorch rows"));
            return false;
        }
    }

    private static Finding Cuda()
    {
        if (TorchSharp.torch.cuda.is_available())
            return new("CUDA", Level.Ok, $"{TorchSharp.torch.cuda.device_count()} GPU(s); the course uses CUDA");
        var cudaBuild = AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "TorchSharp")
                        && Directory.GetFiles(Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location)!, "libtorch_cuda*", SearchOption.AllDirectories).Length > 0;
        return new("CUDA", Level.Note, cudaBuild ? "CUDA build, but no GPU is visible" : "CPU build of libtorch: the course runs on the CPU",
            cudaBuild ? "check the NVIDIA driver (nvidia-smi)" : "for a GPU: COURSE_DEVICE=cuda ./course … (README: 'CPU or CUDA')");
    }

    private static Finding DataCache()
    {
        var dir = DataSets.CacheDirectory;
        try
        {
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new("data cache", Level.Fail, $"{dir} is not writable: {e.Message}", "set COURSE_DATA_DIR to a writable folder");
        }
        var missing = DataManifest.All.Where(d => !DataSets.IsCached(d)).Select(d => d.Name).ToList();
        return missing.Count == 0
            ? new("data cache", Level.Ok, $"{dir}: all {DataManifest.All.Count} data sets present")
            : new("data cache", Level.Note, $"{dir}: not yet downloaded: {string.Join(", ", missing)}",
                "./course data fetch (notebooks also fetch what they need on first use)");
    }

    private static int GlibcxxLevel(string path)
    {
        var text = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(path));
        return System.Text.RegularExpressions.Regex.Matches(text, @"GLIBCXX_3\.4\.(\d+)")
            .Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(0).Max();
    }

    /// <summary>Where the dynamic loader would find a library: LD_LIBRARY_PATH first, then the ldconfig cache.</summary>
    private static List<string> LoaderPaths(string soname)
    {
        var found = new List<string>();
        foreach (var dir in (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, soname))) found.Add(Path.Combine(dir, soname));
        var cache = Capture("/sbin/ldconfig", "-p") ?? Capture("ldconfig", "-p") ?? "";
        var arch = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "AArch64" : "x86-64";
        foreach (var line in cache.Split('\n'))
            if (line.TrimStart().StartsWith(soname + " ") && line.Contains(arch) && line.Split("=> ") is [_, var path])
                found.Add(path.Trim());
        return found.Distinct().ToList();
    }

    private static string? LoadedLibTorch() =>
        OperatingSystem.IsLinux() && File.Exists("/proc/self/maps")
            ? File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(p => p.Length >= 6 && p[5].EndsWith("libtorch_cpu.so")).Select(p => p[5]).FirstOrDefault()
            : null;

    private static string? Capture(string file, string arguments)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true });
            if (p is null) return null;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
