using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Course.Cli.Exercises;

/// <summary>
/// Writes a learner notebook from a solution notebook (the one source of truth). In every code cell, each
/// `// BEGIN SOLUTION [hint: …]` … `// END SOLUTION` region becomes one line that throws
/// <see cref="NotImplementedException"/> with the exercise id (from the cell's `// EXERCISE id` marker) and the hint.
/// Outputs and execution counts are dropped and `#load "../setup.csx"` points at the learner folder's copy.
/// Works on the notebook JSON directly so the result is byte-stable and its diff readable.
/// </summary>
public static partial class LearnerNotebookGenerator
{
    public static string Generate(string solutionJson, string sourceName)
    {
        var notebook = JsonNode.Parse(solutionJson)?.AsObject()
            ?? throw new InvalidDataException($"{sourceName}: not a notebook");
        var cells = notebook["cells"]?.AsArray() ?? throw new InvalidDataException($"{sourceName}: no cells");
        for (var i = 0; i < cells.Count; i++)
        {
            var cell = cells[i]!.AsObject();
            if (cell["cell_type"]?.GetValue<string>() != "code") continue;
            var source = Lines(cell["source"]);
            var learner = Strip(source, $"{sourceName} cell {i + 1}");
            cell["source"] = new JsonArray(Join(learner).Select(l => (JsonNode)JsonValue.Create(l)!).ToArray());
            cell["outputs"] = new JsonArray();
            cell["execution_count"] = null;
        }
        return notebook.ToJsonString(JsonOptions) + "\n";
    }

    /// <summary>Exercise ids marked in a notebook, in order (`// EXERCISE 3.2`).</summary>
    public static IReadOnlyList<string> ExerciseIds(string notebookJson) =>
        (JsonNode.Parse(notebookJson)?["cells"]?.AsArray() ?? [])
            .Where(c => c?["cell_type"]?.GetValue<string>() == "code")
            .Select(c => ExerciseId(string.Join("\n", Lines(c!["source"]))))
            .OfType<string>().ToList();

    /// <summary>The id in a cell's `// EXERCISE id` marker, or null when the cell is not an exercise cell.</summary>
    public static string? ExerciseId(string code) => ExerciseMarker().Match(code) is { Success: true } m ? m.Groups[1].Value : null;

    internal static List<string> Strip(List<string> lines, string where)
    {
        var id = ExerciseId(string.Join("\n", lines));
        var result = new List<string>();
        var inSolution = false;
        foreach (var line in lines)
        {
            var begin = BeginMarker().Match(line);
            if (begin.Success)
            {
                if (inSolution) throw new InvalidDataException($"{where}: BEGIN SOLUTION inside another solution region");
                if (id is null) throw new InvalidDataException($"{where}: a solution region needs an `// EXERCISE id` line in the same cell");
                inSolution = true;
                var hint = begin.Groups["hint"].Success ? begin.Groups["hint"].Value.Trim() : "see the exercise text above";
                result.Add($"{begin.Groups["indent"].Value}throw new NotImplementedException(\"Exercise {id}: {hint.Replace("\\", "\\\\").Replace("\"", "\\\"")}\");");
                continue;
            }
            if (EndMarker().IsMatch(line))
            {
                if (!inSolution) throw new InvalidDataException($"{where}: END SOLUTION without BEGIN SOLUTION");
                inSolution = false;
                continue;
            }
            if (!inSolution) result.Add(line.TrimEnd('\n', '\r'));
        }
        if (inSolution) throw new InvalidDataException($"{where}: BEGIN SOLUTION without END SOLUTION");
        return result.Select(l => l.Replace("#load \"../setup.csx\"", "#load \"setup.csx\"")).ToList();
    }

    private static List<string> Lines(JsonNode? source) => source switch
    {
        JsonArray a => string.Concat(a.Select(n => n!.GetValue<string>())).Split('\n').ToList(),
        JsonValue v => v.GetValue<string>().Split('\n').ToList(),
        _ => [],
    };

    /// <summary>Back to Jupyter's list-of-lines form: every line but the last keeps its newline.</summary>
    private static IEnumerable<string> Join(List<string> lines) =>
        lines.Select((l, i) => i < lines.Count - 1 ? l + "\n" : l).Where((l, i) => !(i == lines.Count - 1 && l.Length == 0));

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        IndentSize = 1,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [GeneratedRegex(@"^\s*//\s*EXERCISE\s+([0-9A-Za-z.\-]+)", RegexOptions.Multiline)]
    private static partial Regex ExerciseMarker();

    [GeneratedRegex(@"^(?<indent>\s*)//\s*BEGIN SOLUTION(\s+hint:(?<hint>.*))?\s*$")]
    private static partial Regex BeginMarker();

    [GeneratedRegex(@"^\s*//\s*END SOLUTION\s*$")]
    private static partial Regex EndMarker();
}
