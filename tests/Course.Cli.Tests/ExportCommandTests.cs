namespace Course.Cli.Tests;

public class ExportCommandTests
{
    [Fact]
    public void Export_WritesAFileBasedApp_WithUsingsFirst_TypesLast_AndDisplayedValuesShown()
    {
        var dir = NotebookBuilder.TempFolder();
        var nb = NotebookBuilder.Write(dir, "demo.ipynb",
            "#load \"setup.csx\"",
            "using System.Text;\nclass Greeter { public string Hi => \"hi\"; }\nvar sb = new StringBuilder(\"a\");\nsb.Length",
            "#r \"nuget: Humanizer.Core, 2.14.1\"\nnew Greeter().Hi");

        var (code, output) = CourseProcess.Run(dir, TimeSpan.FromMinutes(1), "export", nb, "--to", "cs", "--out", dir);

        code.Should().Be(0, output);
        var text = File.ReadAllText(Path.Combine(dir, "demo.cs"));
        text.Should().Contain("#:project ").And.Contain("#:package Humanizer.Core@2.14.1").And.NotContain("setup.csx");
        text.IndexOf("using System.Text;").Should().BeLessThan(text.IndexOf("var sb"));
        text.IndexOf("class Greeter").Should().BeGreaterThan(text.IndexOf("CourseShow(new Greeter().Hi);"));
        text.Should().Contain("CourseShow(sb.Length);");
    }
}
