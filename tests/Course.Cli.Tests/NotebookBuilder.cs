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
                ["source"] = new JsonArray(code.Split('\n').Select(l => (JsonNode)JsonValue.Create(l + "\n")!).ToArray()),
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

    public static string TempFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "course-cli-tests", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
