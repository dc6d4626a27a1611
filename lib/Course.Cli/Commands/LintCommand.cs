using System.Text.Json.Nodes;

namespace Course.Cli.Commands;

/// <summary>
/// `course lint [FOLDER]`: committed notebooks must carry no outputs and no execution counts (they would bloat
/// diffs and show a learner results they did not produce). Reads the JSON directly so it checks exactly the bytes
/// that are committed.
/// </summary>
public static class LintCommand
{
    public static int Run(Args args)
    {
        var rest = args.Rest();
        var root = rest.FirstOrDefault() ?? Path.Combine(CourseRoot.Find(), "notebooks");
        var problems = new List<string>();
        var files = Directory.GetFiles(root, "*.ipynb", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        foreach (var file in files)
            problems.AddRange(Check(file).Select(p => $"{Path.GetRelativePath(root, file)}: {p}"));
        foreach (var p in problems) Console.WriteLine(p);
        Console.WriteLine(problems.Count == 0
            ? $"{files.Count} notebook(s) clean: no outputs, no execution counts."
            : $"{problems.Count} problem(s). Clear outputs before committing.");
        return problems.Count == 0 ? 0 : 1;
    }

    public static IEnumerable<string> Check(string file)
    {
        JsonNode? doc;
        try { doc = JsonNode.Parse(File.ReadAllText(file)); }
        catch (System.Text.Json.JsonException e) { return [$"not valid JSON: {e.Message}"]; }
        var problems = new List<string>();
        var cells = doc?["cells"]?.AsArray() ?? [];
        for (var i = 0; i < cells.Count; i++)
        {
            var cell = cells[i]!;
            if (cell["cell_type"]?.GetValue<string>() != "code") continue;
            if (cell["outputs"] is JsonArray { Count: > 0 }) problems.Add($"cell {i + 1} has outputs");
            if (cell["execution_count"] is JsonValue v && v.GetValueKind() != System.Text.Json.JsonValueKind.Null)
                problems.Add($"cell {i + 1} has an execution count");
        }
        return problems;
    }
}
