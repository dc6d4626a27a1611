using System.Text.Json.Nodes;

namespace Course.Cli.Tests;

/// <summary>Writes small .ipynb files in the course's format for tests.</summary>
public static class NotebookBuilder
{
    public static string Write(string folder, string name, params string[] codeCells)
    {
        var cells = new JsonArray();
        foreach (var code in codeCells)
        {
            cells.Add(new JsonObject
            {
                ["cell_type"] = "code",
                ["execution_count"] = null,
                ["metadata"] = new JsonObject { ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" } },
                ["outputs"] = new JsonArray(),
                // Jupyter's form: a list of lines, each but the last ending in a newline.
                ["source"] = new JsonArray(Lines(code).Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()),
            });
        }
        var notebook = new JsonObject
        {
            ["cells"] = cells,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
                ["polyglot_notebook"] = new JsonObject { ["kernelInfo"] = new JsonObject { ["defaultKernelName"] = "csharp" } },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, notebook.ToJsonString());
        return path;
    }

    private static IEnumerable<string> Lines(string code)
    {
        var lines = code.Split('\n');
        return lines.Select((l, i) => i < lines.Length - 1 ? l + "\n" : l);
    }

    public static string TempFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "course-cli-tests", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
