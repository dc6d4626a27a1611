using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Course.Cli.Exercises;

namespace Course.Cli.Grading;

/// <summary>
/// What actually gets run when a submission is graded: the source (learner) notebook, cell for cell, with only the
/// learner's exercise cells taken from the submission (matched by their `// EXERCISE id` marker, wherever the learner
/// moved them). Check cells and every other cell come from the source, so edited or deleted checks are restored.
/// </summary>
public static partial class GradedNotebook
{
    /// <summary>An exercise of the source notebook: its id, and the code-cell numbers of its exercise and check cells.</summary>
    public sealed record ExerciseCells(string Id, int ExerciseCell, int CheckCell);

    public static (string Json, IReadOnlyList<ExerciseCells> Exercises) Build(string sourceJson, string? submissionJson,
        IReadOnlyDictionary<string, string>? replacements = null)
    {
        var source = JsonNode.Parse(sourceJson)!.AsObject();
        var submitted = new Dictionary<string, JsonNode>();
        if (submissionJson is not null)
        {
            foreach (var cell in CodeCells(JsonNode.Parse(submissionJson)!))
                if (LearnerNotebookGenerator.ExerciseId(Code(cell)) is { } id)
                    submitted.TryAdd(id, cell["source"]!.DeepClone());
        }

        var exercises = new List<ExerciseCells>();
        var code = CodeCells(source).ToList();
        for (var i = 0; i < code.Count; i++)
        {
            var cell = code[i];
            if (LearnerNotebookGenerator.ExerciseId(Code(cell)) is not { } id) continue;
            if (replacements?.TryGetValue(id, out var replacement) == true) cell["source"] = replacement;
            else if (submitted.TryGetValue(id, out var learner)) cell["source"] = learner.DeepClone();
            var check = code.FindIndex(i + 1, c => CheckCall().Match(Code(c)) is { Success: true } m && m.Groups[1].Value == id);
            exercises.Add(new(id, i + 1, check < 0 ? -1 : check + 1));
        }
        return (source.ToJsonString(), exercises);
    }

    /// <summary>The source text of exercise <paramref name="id"/>'s cell in a notebook (used to put the stub back).</summary>
    public static string? ExerciseSource(string notebookJson, string id) =>
        CodeCells(JsonNode.Parse(notebookJson)!).Where(c => LearnerNotebookGenerator.ExerciseId(Code(c)) == id).Select(Code).FirstOrDefault();

    /// <summary>Printed output of one code cell of an executed notebook (stdout streams only).</summary>
    public static string Output(JsonNode executed, int codeCell)
    {
        var cell = CodeCells(executed).ElementAtOrDefault(codeCell - 1);
        return cell?["outputs"] is JsonArray outputs
            ? string.Concat(outputs.Where(o => o?["output_type"]?.GetValue<string>() == "stream").Select(o => Text(o!["text"])))
            : "";
    }

    private static IEnumerable<JsonObject> CodeCells(JsonNode notebook) =>
        (notebook["cells"]?.AsArray() ?? []).OfType<JsonObject>().Where(c => c["cell_type"]?.GetValue<string>() == "code");

    private static string Code(JsonNode cell) => Text(cell["source"]);

    private static string Text(JsonNode? node) => node switch
    {
        JsonArray a => string.Concat(a.Select(n => n?.GetValue<string>())),
        JsonValue v => v.GetValue<string>(),
        _ => "",
    };

    [GeneratedRegex(@"Check\.(?:Exercise|Answer)\s*\(\s*""([^""]+)""")]
    private static partial Regex CheckCall();
}
