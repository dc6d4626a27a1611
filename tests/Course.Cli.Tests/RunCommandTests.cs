using System.Text.Json.Nodes;

namespace Course.Cli.Tests;

public class RunCommandTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [Fact]
    public void Run_ExitsZero_AndWritesOutputs_WhenEveryCellPasses()
    {
        var dir = NotebookBuilder.TempFolder();
        var nb = NotebookBuilder.Write(dir, "ok.ipynb", "Console.WriteLine(\"hello from cell 1\");", "1 + 2");

        var (code, output) = CourseProcess.Run(dir, Limit, "run", nb, "--no-build", "--out", Path.Combine(dir, "out"));

        code.Should().Be(0, output);
        output.Should().Contain("[  2/2] ok").And.Contain("all cells ok");
        var executed = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "out", "ok.ipynb")))!;
        executed["cells"]![0]!["outputs"]!.ToJsonString().Should().Contain("hello from cell 1");
        executed["cells"]![1]!["execution_count"]!.GetValue<int>().Should().Be(2);
    }

    [Fact]
    public void Run_KeepsTheLatestStateOfAnUpdatedDisplay()
    {
        var dir = NotebookBuilder.TempFolder();
        var nb = NotebookBuilder.Write(dir, "progress.ipynb", "var d = display(\"step 1 of 3\");\nd.Update(\"step 3 of 3\");");

        var (code, output) = CourseProcess.Run(dir, Limit, "run", nb, "--no-build", "--out", Path.Combine(dir, "out"));

        code.Should().Be(0, output);
        var outputs = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "out", "progress.ipynb")))!["cells"]![0]!["outputs"]!.ToJsonString();
        outputs.Should().Contain("step 3 of 3").And.NotContain("step 1 of 3");
    }

    [Fact]
    public void Run_ExitsNonZero_NamingNotebookCellAndError_WhenACellThrows()
    {
        var dir = NotebookBuilder.TempFolder();
        var nb = NotebookBuilder.Write(dir, "throws.ipynb", "var a = 1;", "throw new InvalidOperationException(\"boom in cell two\");", "var c = 3;");

        var (code, output) = CourseProcess.Run(dir, Limit, "run", nb, "--no-build", "--out", Path.Combine(dir, "out"));

        code.Should().NotBe(0);
        output.Should().Contain("throws.ipynb: cell 2").And.Contain("boom in cell two");
    }

    [Fact]
    [Trait("Category", "Reliability")]
    public void Run_StopsAHangingCellAtItsTimeout_AndKeepsTheOutputsOfEarlierCells()
    {
        var dir = NotebookBuilder.TempFolder();
        var nb = NotebookBuilder.Write(dir, "hangs.ipynb", "Console.WriteLine(\"before the hang\");", "while (true) { }", "var never = 1;");

        var (code, output) = CourseProcess.Run(dir, Limit, "run", nb, "--no-build", "--cell-timeout", "15", "--out", Path.Combine(dir, "out"));

        code.Should().NotBe(0);
        output.Should().Contain("hangs.ipynb: cell 2").And.Contain("did not finish within 15 s");
        File.ReadAllText(Path.Combine(dir, "out", "hangs.ipynb")).Should().Contain("before the hang");
    }

    [Fact]
    [Trait("Category", "Reliability")]
    public void Run_ReportsTheCell_WhenTheKernelProcessDies()
    {
        var dir = NotebookBuilder.TempFolder();
        var nb = NotebookBuilder.Write(dir, "exits.ipynb", "Console.WriteLine(\"still here\");", "Environment.Exit(42);");

        var (code, output) = CourseProcess.Run(dir, Limit, "run", nb, "--no-build", "--out", Path.Combine(dir, "out"));

        code.Should().NotBe(0);
        output.Should().Contain("exits.ipynb: cell 2").And.Contain("exited with code 42");
        File.ReadAllText(Path.Combine(dir, "out", "exits.ipynb")).Should().Contain("still here");
    }

    [Fact]
    public void Run_RejectsAMissingNotebook_WithItsPath()
    {
        var (code, output) = CourseProcess.Run(Path.GetTempPath(), Limit, "run", "/no/such/notebook.ipynb");

        code.Should().Be(2);
        output.Should().Contain("no such notebook or folder: /no/such/notebook.ipynb");
    }
}
