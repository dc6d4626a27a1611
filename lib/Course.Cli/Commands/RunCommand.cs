using System.Diagnostics;
using System.Text.Json;
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
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(notebook)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { typeof(RunCommand).Assembly.Location, KernelCommand.Verb, notebook, outputPath, ((int)cellTimeout.TotalSeconds).ToString() })
            psi.ArgumentList.Add(a);

        using var child = Process.Start(psi) ?? throw new InvalidOperationException("could not start the kernel process");
        var stderr = new System.Text.StringBuilder();
        child.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        child.BeginErrorReadLine();

        CellReport? current = null, last = null, failed = null;
        var clock = Stopwatch.StartNew();
        // Backstop: the kernel process enforces the per-cell timeout itself; if it stops answering, kill it.
        var silence = cellTimeout + TimeSpan.FromSeconds(60);
        while (true)
        {
            var read = child.StandardOutput.ReadLineAsync();
            if (await Task.WhenAny(read, Task.Delay(silence)) != read)
            {
                child.Kill(entireProcessTree: true);
                return Report(name, current, $"no answer from the kernel for {silence.TotalSeconds:0} s; process killed");
            }
            var line = await read;
            if (line is null) break;
            if (!line.StartsWith(CellReport.Prefix)) continue;
            var r = JsonSerializer.Deserialize<CellReport>(line[CellReport.Prefix.Length..])!;
            if (r.Kind == "start") current = r;
            if (r.Kind == "end")
            {
                last = r;
                var mark = r.Status == "ok" ? "ok   " : "FAIL ";
                Console.WriteLine($"  [{r.Cell,3}/{r.Cells}] {mark} {r.Seconds,6:0.0}s  {r.Preview}");
                if (r.Status != "ok")
                {
                    Console.WriteLine($"           {Indent(r.Message)}");
                    failed = r;
                }
                current = null;
            }
            if (r.Kind == "done") last = r;
        }
        await child.WaitForExitAsync();

        if (current is not null)
        {
            var why = stderr.ToString().Trim();
            return Report(name, current, $"the kernel process exited with code {child.ExitCode} while running this cell" +
                (why.Length > 0 ? $": {Tail(why)}" : ""));
        }
        if (failed is not null) return $"{name}: cell {failed.Cell} ({failed.Preview}): {FirstLine(failed.Message)}";
        if (last is not { Kind: "done", Status: "ok" } || child.ExitCode != 0)
            return $"{name}: the kernel process failed (exit {child.ExitCode}): {Tail(stderr.ToString().Trim())}";
        Console.WriteLine($"  {last.Cells} cells ok in {clock.Elapsed.TotalSeconds:0.0} s");
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
    private static string Tail(string s) => s.Length > 800 ? "…" + s[^800..] : s;
}
