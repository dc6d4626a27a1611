using Course.Cli.Notebooks;

namespace Course.Cli.Commands;

/// <summary>`course export NOTEBOOK… --to cs [--out DIR]`: notebooks as .NET 10 file-based apps (`dotnet run file.cs`).</summary>
public static class ExportCommand
{
    public static int Run(Args args)
    {
        var to = args.Option("--to") ?? "cs";
        if (to != "cs") return Cli.Fail($"--to {to} is not supported (only 'cs')");
        var root = CourseRoot.Find();
        var outDir = Path.GetFullPath(args.Option("--out") ?? Path.Combine(root, "out", "export"));
        var notebooks = RunCommand.Expand(args.Rest());
        if (notebooks.Count == 0) return Cli.Fail("usage: course export NOTEBOOK… --to cs [--out DIR]");
        foreach (var nb in notebooks)
        {
            var file = NotebookExporter.Export(nb, Path.Combine(outDir, Path.GetFileNameWithoutExtension(nb) + ".cs"), root);
            Console.WriteLine($"{Path.GetFileName(nb)} -> {file}   (run: dotnet run {file})");
        }
        return 0;
    }
}
