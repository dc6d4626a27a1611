using System.Text.Json;
using System.Text.Json.Nodes;
using Course.Cli.Notebooks;

namespace Course.Cli.Grading;

/// <summary>Limits and settings for grading.</summary>
/// <param name="SourceFolder">Where the source (learner) notebooks and setup.csx are: the repository's notebooks/.</param>
/// <param name="CheckTimeout">Longest one cell (an exercise or its check) may run.</param>
/// <param name="MemoryLimitBytes">The kernel process is killed above this resident size.</param>
/// <param name="Quick">Run in quick mode (tiny configs), as CI does.</param>
public sealed record GradingOptions(string SourceFolder, string CourseRoot, TimeSpan CheckTimeout, long MemoryLimitBytes, bool Quick);

/// <summary>
/// Grades one submitted notebook: rebuilds it from the source notebook (see <see cref="GradedNotebook"/>), runs it in
/// a separate kernel process with a time limit per cell and a memory limit, and collects each check's outcome.
/// An exercise that hangs, crashes the process or exhausts memory is recorded as an error and replaced by its stub,
/// and the notebook runs again, so every other exercise still gets a result.
/// </summary>
public sealed class Grader(GradingOptions options)
{
    public async Task<ExercismResult> GradeAsync(string submissionPath, Action<string>? log = null)
    {
        var name = Path.GetFileName(submissionPath);
        var sourcePath = Path.Combine(options.SourceFolder, name);
        if (!File.Exists(sourcePath)) return ExercismResult.Broken($"no source notebook named {name} in {options.SourceFolder}");
        string? submission;
        try
        {
            submission = File.ReadAllText(submissionPath);
            JsonNode.Parse(submission);
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return ExercismResult.Broken($"{name} could not be read as a notebook: {e.Message}");
        }

        var sourceJson = File.ReadAllText(sourcePath);
        var work = Directory.CreateTempSubdirectory("course-grade-");
        try
        {
            File.Copy(Path.Combine(options.SourceFolder, "setup.csx"), Path.Combine(work.FullName, "setup.csx"));
            if (WriteSandbox.Unavailable is { } why) log?.Invoke($"  note: {why}");
            var infrastructureErrors = new Dictionary<string, string>();
            var stubs = new Dictionary<string, string>();
            while (true)
            {
                var (json, exercises) = GradedNotebook.Build(sourceJson, submission, stubs.ToDictionary(s => s.Key, s => s.Value));
                var notebook = Path.Combine(work.FullName, name);
                var executed = Path.Combine(work.FullName, "executed-" + name);
                var results = Path.Combine(work.FullName, "results.jsonl");
                File.WriteAllText(notebook, json);
                File.Delete(results);
                var cellErrors = new Dictionary<int, string>();
                var run = await KernelProcess.RunAsync(notebook, executed, work.FullName, options.CheckTimeout,
                    r => { if (r is { Kind: "end", Status: not "ok" }) cellErrors[r.Cell] = r.Message; },
                    new Dictionary<string, string>
                    {
                        ["COURSE_CHECK_RESULTS"] = results,
                        ["COURSE_ROOT"] = options.CourseRoot,
                        ["COURSE_LIB_BUILT"] = "1",
                        ["COURSE_QUICK"] = options.Quick ? "1" : "0",
                    },
                    options.MemoryLimitBytes, keepGoing: true, confineWrites: true);

                if (!run.Completed)
                {
                    var cell = run.InterruptedCell?.Cell ?? -1;
                    var culprit = exercises.FirstOrDefault(e => e.ExerciseCell == cell || e.CheckCell == cell);
                    if (culprit is not null && !stubs.ContainsKey(culprit.Id))
                    {
                        log?.Invoke($"  exercise {culprit.Id}: {run.Reason}; grading the rest without it");
                        infrastructureErrors[culprit.Id] = run.Reason;
                        stubs[culprit.Id] = GradedNotebook.ExerciseSource(sourceJson, culprit.Id) ?? "";
                        continue;
                    }
                    return ExercismResult.Broken($"{name}: cell {cell} stopped the notebook: {run.Reason}");
                }
                return Collect(exercises, results, executed, cellErrors, infrastructureErrors);
            }
        }
        finally
        {
            try { work.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static ExercismResult Collect(IReadOnlyList<GradedNotebook.ExerciseCells> exercises, string resultsFile, string executedPath,
        Dictionary<int, string> cellErrors, Dictionary<string, string> infrastructureErrors)
    {
        var outcomes = new Dictionary<string, JsonNode>();
        if (File.Exists(resultsFile))
            foreach (var line in File.ReadLines(resultsFile).Where(l => l.Length > 0))
                if (JsonNode.Parse(line) is { } o && o["Id"]?.GetValue<string>() is { } id) outcomes[id] = o;
        var executed = File.Exists(executedPath) ? JsonNode.Parse(File.ReadAllText(executedPath)) : null;

        var tests = new List<ExercismTest>();
        foreach (var (e, index) in exercises.Select((e, i) => (e, i + 1)))
        {
            var output = executed is null ? "" : GradedNotebook.Output(executed, e.ExerciseCell) + (e.CheckCell > 0 ? GradedNotebook.Output(executed, e.CheckCell) : "");
            output = output.Length > 500 ? output[..497] + "..." : output;
            if (infrastructureErrors.TryGetValue(e.Id, out var why))
                tests.Add(new($"Exercise {e.Id}", "error", why, output, index));
            else if (outcomes.TryGetValue(e.Id, out var o))
                tests.Add(new($"Exercise {e.Id} — {o["Title"]}", o["Status"]!.GetValue<string>(), NullIfEmpty(o["Message"]?.GetValue<string>()), output, index));
            else if (cellErrors.TryGetValue(e.ExerciseCell, out var compile))
                tests.Add(new($"Exercise {e.Id}", "fail", $"your exercise cell failed: {compile}", output, index));
            else if (e.CheckCell < 0)
                tests.Add(new($"Exercise {e.Id}", "error", "the source notebook has no check cell for this exercise", output, index));
            else
                tests.Add(new($"Exercise {e.Id}", "fail", cellErrors.TryGetValue(e.CheckCell, out var c) ? $"the check could not run: {c}" : "the check reported nothing", output, index));
        }
        return ExercismResult.From(tests);
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
