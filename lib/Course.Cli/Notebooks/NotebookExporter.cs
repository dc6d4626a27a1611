using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Course.Cli.Notebooks;

/// <summary>
/// Turns a course notebook into a .NET 10 file-based app (`dotnet run chapter.cs`), so every chapter also runs
/// where notebooks no longer do. Each cell is parsed as C# script: `using` directives move to the top, type
/// declarations to the bottom (C# requires it), statements keep their order, and a cell's trailing expression
/// (which a notebook would display) is printed through <c>CourseShow</c>. Markdown cells become comments.
/// </summary>
public static partial class NotebookExporter
{
    public static string Export(string notebookPath, string outputPath, string courseRoot)
    {
        var document = NotebookFile.Read(notebookPath);
        var usings = new List<string>();
        var packages = new List<string>();
        var body = new StringBuilder();
        var types = new StringBuilder();
        var cellNumber = 0;

        foreach (var element in document.Elements)
        {
            if (element.KernelName == "markdown")
            {
                foreach (var line in element.Contents.TrimEnd().Split('\n'))
                    body.AppendLine(("// " + line).TrimEnd());
                body.AppendLine();
                continue;
            }
            cellNumber++;
            var code = Directives(element.Contents, packages);
            var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(code,
                new CSharpParseOptions(LanguageVersion.Preview, kind: SourceCodeKind.Script)).GetRoot();
            foreach (var u in root.Usings)
                if (!usings.Contains(u.ToString().Trim())) usings.Add(u.ToString().Trim());
            body.AppendLine($"// ---- cell {cellNumber} ----");
            foreach (var member in root.Members)
            {
                switch (member)
                {
                    case GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } e }:
                        body.AppendLine($"CourseShow({e.Expression.ToFullString().Trim()});");
                        break;
                    case GlobalStatementSyntax or FieldDeclarationSyntax or MethodDeclarationSyntax:
                        body.AppendLine(member.ToFullString().TrimEnd());
                        break;
                    default:
                        types.AppendLine(member.ToFullString().TrimEnd()).AppendLine();
                        break;
                }
            }
            body.AppendLine();
        }

        var project = Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(outputPath))!,
            Path.Combine(courseRoot, "lib", "LlmFromScratch", "LlmFromScratch.csproj")).Replace('\\', '/');
        var text = new StringBuilder()
            .AppendLine($"// Exported from {Path.GetFileName(notebookPath)} by `course export`. Run: dotnet run {Path.GetFileName(outputPath)}")
            .AppendLine($"#:project {project}")
            .AppendLine("#:property TreatWarningsAsErrors=false")
            .AppendLine("#:property Nullable=disable")
            .AppendLine("#:property NoWarn=CS8321;CS0168;CS0219")
            // File-based apps default to AOT-style publishing, which turns off reflection JSON the library uses.
            .AppendLine("#:property PublishAot=false");
        foreach (var p in packages.Distinct()) text.AppendLine($"#:package {p}");
        text.AppendLine();
        foreach (var u in usings) text.AppendLine(u);
        text.AppendLine()
            .Append(body)
            .AppendLine("// What a notebook would render: text for values, an HTML file for charts.")
            .AppendLine("static void CourseShow(object value) => LlmFromScratch.Runtime.ConsoleDisplay.Show(value);")
            .AppendLine("static void display(object value) => CourseShow(value);")
            .AppendLine()
            .Append(types);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
        File.WriteAllText(outputPath, text.ToString());
        return outputPath;
    }

    /// <summary>Drops the notebook-only setup line and turns `#r "nuget: X, V"` into `#:package X@V`.</summary>
    private static string Directives(string code, List<string> packages)
    {
        var kept = new StringBuilder();
        foreach (var line in code.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith("#load") && trimmed.Contains("setup.csx")) continue;
            var nuget = NugetReference().Match(trimmed);
            if (nuget.Success)
            {
                packages.Add(nuget.Groups["version"].Success ? $"{nuget.Groups["name"].Value}@{nuget.Groups["version"].Value}" : nuget.Groups["name"].Value);
                continue;
            }
            if (trimmed.StartsWith("#!") || trimmed.StartsWith("#r ") || trimmed.StartsWith("#i "))
            {
                kept.AppendLine("// (notebook only) " + trimmed);
                continue;
            }
            kept.AppendLine(line.TrimEnd('\r'));
        }
        return kept.ToString();
    }

    [GeneratedRegex("""^#r\s+"nuget:\s*(?<name>[^,"\s]+)\s*(,\s*(?<version>[^"\s]+))?\s*"$""")]
    private static partial Regex NugetReference();
}
