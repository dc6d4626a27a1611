using Course.Cli.Commands;

namespace Course.Cli.Tests;

public class LintCommandTests
{
    [Fact]
    public void Check_FindsOutputsAndExecutionCounts()
    {
        var dir = NotebookBuilder.TempFolder();
        var path = NotebookBuilder.Write(dir, "dirty.ipynb", "1");
        File.WriteAllText(path, File.ReadAllText(path)
            .Replace("\"execution_count\":null", "\"execution_count\":7")
            .Replace("\"outputs\":[]", "\"outputs\":[{\"output_type\":\"stream\",\"name\":\"stdout\",\"text\":\"x\"}]"));

        LintCommand.Check(path).Should().BeEquivalentTo("cell 1 has outputs", "cell 1 has an execution count");
    }

    [Fact]
    public void Check_PassesACleanNotebook()
    {
        var dir = NotebookBuilder.TempFolder();

        LintCommand.Check(NotebookBuilder.Write(dir, "clean.ipynb", "1", "2")).Should().BeEmpty();
    }

    [Fact]
    public void CommittedNotebooks_CarryNoOutputs()
    {
        var notebooks = Path.Combine(CourseProcess.RepoRoot, "notebooks");

        var problems = Directory.GetFiles(notebooks, "*.ipynb", SearchOption.AllDirectories)
            .SelectMany(f => LintCommand.Check(f).Select(p => $"{Path.GetFileName(f)}: {p}"));

        problems.Should().BeEmpty();
    }
}
