using System.Diagnostics;
using Course.Cli.Notebooks;

namespace Course.Cli.Commands;

/// <summary>
/// `course run NOTEBOOK|FOLDER… [--quick] [--out DIR] [--cell-timeout SECONDS] [--no-build]`: executes notebooks
/// headless, each in its own kernel process (a hung or crashed kernel cannot take the others down), prints one
/// line per cell, writes executed copies with outputs to DIR, and exits non-zero naming notebook, cell and error.
/// </summary>
public static class RunCommand
{
    public const string Usage = "course run NOTEBOOK|FOLDER… [--quick] [--out DIR] [--cell-timeout SECONDS] [--no-build]";

    public static async Task<int> RunAsync(Args args)
    {
        var quick = args.Flag("--quick");
        var outDir = Path.GetFullPath(args.Option("--out") ?? Path.Combine("out", "executed"));
        var cellTimeout = TimeSpan.FromSeconds(args.IntOption("--cell-timeout") ?? (quick ? 300 : 7200));
        var noBuild = args.Flag("--no-build");
        var notebooks = Expand(args.Rest());
        if (notebooks.Count == 0) return Cli.Fail($"no notebooks given.\nusage: {Usage}");

        if (quick) Environment.SetEnvironmentVariable("COURSE_QUICK", "1");
        if (!noBuild && !BuildLibrary(CourseRoot.Find(Path.GetDirectoryName(notebooks[0])!))) return 1;
        // Every kernel process reuses the build we just made instead of running its own.
        Environment.SetEnvironmentVariable("COURSE_LIB_BUILT", "1");

        Console.WriteLine($"Running {notebooks.Count} notebook(s){(quick ? " in quick mode" : "")}; executed copies go to {outDir}");
        var failures = new List<string>();
        var total = Stopwatch.StartNew();
        foreach (var notebook in notebooks)
        {
            var failure = await RunOneAsync(notebook, Path.Combine(outDir, Path.GetFileName(notebook)), cellTimeout);
            if (failure is not null) failures.Add(failure);
        }
        Console.WriteLine();
        if (failures.Count == 0)
        {
            Console.WriteLine($"All {notebooks.Count} notebook(s) ran without errors in {total.Elapsed.TotalSeconds:0.0} s.");
            return 0;
        }
        Console.WriteLine($"{failures.Count} of {notebooks.Count} notebook(s) failed:");
        foreach (var f in failures) Console.WriteLine("  " + f);
        return 1;
    }

    /// <summary>Runs one notebook in a child kernel process; returns null on success, else "notebook: cell N: error".</summary>
    private static async Task<string?> RunOneAsync(string notebook, string outputPath, TimeSpan cellTimeout)
    {
        var name = Path.GetFileName(notebook);
        Console.WriteLine($"\n{name}");
        CellReport? failed = null;
        var clock = Stopwatch.StartNew();
        var result = await KernelProcess.RunAsync(notebook, outputPath, Path.GetDirectoryName(notebook)!, cellTimeout, r =>
        {
            if (r.Kind != "end") return;
            Console.WriteLine($"  [{r.Cell,3}/{r.Cells}] {(r.Status == "ok" ? "ok   " : "FAIL ")} {r.Seconds,6:0.0}s  {r.Preview}");
            if (r.Status == "ok") return;
            Console.WriteLine($"           {Indent(r.Message)}");
            failed = r;
        });
        if (!result.Completed && result.InterruptedCell is { Kind: "start" } cell) return Report(name, cell, result.Reason);
        if (failed is not null) return $"{name}: cell {failed.Cell} ({failed.Preview}): {FirstLine(failed.Message)}";
        if (!result.Completed) return Report(name, null, result.Reason);
        Console.WriteLine($"  all cells ok in {clock.Elapsed.TotalSeconds:0.0} s");
        return null;
    }

    private static string Report(string name, CellReport? cell, string message)
    {
        var where = cell is null ? "" : $"cell {cell.Cell} ({cell.Preview}): ";
        Console.WriteLine($"  FAIL {where}{message}");
        return $"{name}: {where}{message}";
    }

    private static bool BuildLibrary(string root)
    {
        var psi = new ProcessStartInfo("dotnet", ["build", Path.Combine(root, "lib", "LlmFromScratch"), "-c", "Release", "--nologo", "-v", "q", "-clp:ErrorsOnly"])
            { RedirectStandardOutput = true };
        using var build = Process.Start(psi)!;
        var output = build.StandardOutput.ReadToEnd();
        build.WaitForExit();
        if (build.ExitCode != 0) Console.Error.WriteLine($"course: building lib/LlmFromScratch failed:\n{output}");
        return build.ExitCode == 0;
    }

    /// <summary>Files as given; folders expand to their *.ipynb (not recursive), sorted by name.</summary>
    internal static List<string> Expand(IEnumerable<string> paths)
    {
        var result = new List<string>();
        foreach (var p in paths)
        {
            if (Directory.Exists(p)) result.AddRange(Directory.GetFiles(p, "*.ipynb").OrderBy(f => f, StringComparer.Ordinal));
            else if (File.Exists(p)) result.Add(p);
            else throw new CliException($"no such notebook or folder: {p}");
        }
        return result.Select(Path.GetFullPath).ToList();
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
    private static string Indent(string s) => string.Join("\n           ", s.Trim().Split('\n').Take(12));
}
