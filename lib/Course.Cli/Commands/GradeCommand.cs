using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Course.Cli.Grading;

namespace Course.Cli.Commands;

/// <summary>
/// `course grade SUBMISSION… [--json FILE] [--out DIR] [--csv FILE] [--source DIR] [--check-timeout S] [--memory-mb N] [--full]`.
/// A submission is a notebook, a folder of notebooks, or a folder of student folders (a class roster).
/// </summary>
public static class GradeCommand
{
    public const string Usage = "course grade NOTEBOOK|FOLDER… [--json FILE] [--out DIR] [--csv FILE] [--source DIR] [--check-timeout S] [--memory-mb N] [--full] [--expect pass|fail]";

    public static async Task<int> RunAsync(Args args)
    {
        var json = args.Option("--json");
        var outDir = args.Option("--out");
        var csv = args.Option("--csv");
        var root = CourseRoot.Find();
        var source = Path.GetFullPath(args.Option("--source") ?? Path.Combine(root, "notebooks"));
        var timeout = TimeSpan.FromSeconds(args.IntOption("--check-timeout") ?? 120);
        var memory = (args.IntOption("--memory-mb") ?? 6144) * 1024L * 1024;
        var full = args.Flag("--full");
        var expect = args.Option("--expect");
        if (expect is not null and not ("pass" or "fail")) return Cli.Fail("--expect takes pass or fail");
        var submissions = Submissions(args.Rest());
        if (submissions.Count == 0) return Cli.Fail($"no submissions given.\nusage: {Usage}");
        if (json is not null && submissions.Count > 1) return Cli.Fail("--json takes one submission; use --out DIR for several");

        var grader = new Grader(new GradingOptions(source, root, timeout, memory, Quick: !full));
        var graded = new List<(string Student, string Notebook, ExercismResult Result)>();
        foreach (var (student, notebook) in submissions)
        {
            var clock = Stopwatch.StartNew();
            Console.WriteLine($"\n{(student.Length > 0 ? student + "/" : "")}{Path.GetFileName(notebook)}");
            var result = await grader.GradeAsync(notebook, Console.WriteLine);
            Print(result, clock.Elapsed);
            graded.Add((student, Path.GetFileName(notebook), result));
            var file = json ?? (outDir is null ? null : Path.Combine(outDir, student, Path.GetFileNameWithoutExtension(notebook) + ".json"));
            if (file is not null) Write(file, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        }
        if (csv is not null) Write(csv, Roster(graded));
        if (expect is null) return graded.All(g => g.Result.Status != "error") ? 0 : 1;
        // CI's proof that the checks bite: solutions must pass every check, learner notebooks fail every one.
        var wrong = graded.SelectMany(g => g.Result.Tests.Where(t => t.Status != expect).Select(t => $"{g.Notebook}: {t.Name} is {t.Status}, expected {expect}"))
            .Concat(graded.Where(g => g.Result.Status == "error" && g.Result.Tests.Count == 0).Select(g => $"{g.Notebook}: {g.Result.Message}")).ToList();
        foreach (var w in wrong) Console.WriteLine(w);
        Console.WriteLine(wrong.Count == 0
            ? $"All {graded.Sum(g => g.Result.Tests.Count)} checks in {graded.Count} notebook(s) are {expect}, as expected."
            : $"{wrong.Count} check(s) did not {expect}.");
        return wrong.Count == 0 ? 0 : 1;
    }

    private static void Print(ExercismResult result, TimeSpan took)
    {
        if (result.Message is not null) Console.WriteLine($"  ERROR {result.Message}");
        foreach (var t in result.Tests)
        {
            Console.WriteLine($"  {t.Status.ToUpperInvariant(),-5} {t.Name}");
            if (t.Message is not null) Console.WriteLine($"        {t.Message.Split('\n')[0]}");
        }
        var passed = result.Tests.Count(t => t.Status == "pass");
        Console.WriteLine($"  {passed}/{result.Tests.Count} passed, status {result.Status}, graded in {took.TotalSeconds:0.0} s");
    }

    /// <summary>One row per student and notebook, one column per exercise (1 = pass), and the score.</summary>
    private static string Roster(List<(string Student, string Notebook, ExercismResult Result)> graded)
    {
        var ids = graded.SelectMany(g => g.Result.Tests.Select(t => t.Name.Split(' ', 3)[1])).Distinct().Order(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder("student,notebook,status,passed,total,score_percent," + string.Join(",", ids.Select(i => "ex_" + i)) + "\n");
        foreach (var (student, notebook, r) in graded)
        {
            var byId = r.Tests.ToDictionary(t => t.Name.Split(' ', 3)[1], t => t.Status);
            var passed = r.Tests.Count(t => t.Status == "pass");
            var score = r.Tests.Count == 0 ? 0 : 100.0 * passed / r.Tests.Count;
            sb.Append($"{Csv(student)},{Csv(notebook)},{r.Status},{passed},{r.Tests.Count},{score:0.#},")
              .AppendLine(string.Join(",", ids.Select(i => byId.TryGetValue(i, out var s) ? (s == "pass" ? "1" : "0") : "")));
        }
        return sb.ToString();
    }

    private static string Csv(string s) => s.Contains(',') || s.Contains('"') ? $"\"{s.Replace("\"", "\"\"")}\"" : s;

    private static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, text);
        Console.WriteLine($"wrote {path}");
    }

    /// <summary>Notebook files; folders of notebooks; folders of student folders (student = folder name).</summary>
    private static List<(string Student, string Notebook)> Submissions(IEnumerable<string> paths)
    {
        var result = new List<(string, string)>();
        foreach (var p in paths)
        {
            if (File.Exists(p)) result.Add(("", Path.GetFullPath(p)));
            else if (Directory.Exists(p))
            {
                var direct = Directory.GetFiles(p, "*.ipynb").Order(StringComparer.Ordinal).ToList();
                // A folder of notebooks is one submission; otherwise each subfolder is one student's.
                if (direct.Count > 0) result.AddRange(direct.Select(f => (Path.GetFileName(Path.GetFullPath(p).TrimEnd('/')), Path.GetFullPath(f))));
                else foreach (var student in Directory.GetDirectories(p).Order(StringComparer.Ordinal))
                    result.AddRange(Directory.GetFiles(student, "*.ipynb").Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(student), Path.GetFullPath(f))));
            }
            else throw new CliException($"no such notebook or folder: {p}");
        }
        return result;
    }
}
