using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;

namespace Course.Cli.Notebooks;

/// <summary>Reads and writes the course's .ipynb files (C# kernel) with the .NET Interactive Documents package.</summary>
public static class NotebookFile
{
    /// <summary>The kernels a course notebook may name; C# is the default.</summary>
    public static KernelInfoCollection Kernels { get; } = new()
    {
        new KernelInfo("csharp", "C#", new[] { "c#", "C#" }),
    };

    static NotebookFile() => Kernels.DefaultKernelName = "csharp";

    public static InteractiveDocument Read(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return Notebook.Read(stream, Kernels);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path} is not a readable .ipynb notebook: {e.Message}", e);
        }
    }

    /// <summary>Writes atomically, so a crash mid-write never leaves half a notebook behind.</summary>
    public static void Write(InteractiveDocument document, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        using (var stream = File.Create(temp))
            Notebook.Write(document, stream, Kernels);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The code cells of a notebook, numbered from 1 in document order (markdown cells are skipped).</summary>
    public static IReadOnlyList<(int Number, InteractiveDocumentElement Cell)> CodeCells(InteractiveDocument document) =>
        document.Elements.Where(e => e.KernelName != "markdown")
            .Select((cell, i) => (i + 1, cell)).ToList();
}
