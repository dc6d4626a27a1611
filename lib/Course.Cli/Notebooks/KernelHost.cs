using System.Diagnostics;
using System.Text.Json;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace Course.Cli.Notebooks;

/// <summary>
/// Runs one notebook in an in-process C# kernel (the child process that `course run` starts per notebook).
/// Reports each cell on standard output as a <see cref="CellReport"/> line, and rewrites the executed copy
/// after every cell so the outputs of the cells that passed survive a later hang or crash.
/// </summary>
public static class KernelHost
{
    public static async Task<int> RunAsync(string notebookPath, string outputPath, TimeSpan cellTimeout, bool stopOnError)
    {
        // The kernel swaps Console.Out while a cell runs; reports must reach the real standard output.
        var report = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        void Send(CellReport r) => report.WriteLine(CellReport.Prefix + JsonSerializer.Serialize(r));

        var document = NotebookFile.Read(notebookPath);
        var cells = NotebookFile.CodeCells(document);
        using var kernel = CreateKernel();

        var failed = false;
        var order = 0;
        foreach (var (number, cell) in cells)
        {
            cell.Outputs.Clear();
            if (failed && stopOnError) continue;
            var preview = Preview(cell.Contents);
            Send(new("start", number, cells.Count, Preview: preview));
            var clock = Stopwatch.StartNew();
            var submit = kernel.SendAsync(new SubmitCode(cell.Contents, "csharp"));
            var finished = await Task.WhenAny(submit, Task.Delay(cellTimeout));
            if (finished != submit)
            {
                cell.Outputs.Add(new ErrorElement("Timeout", $"cell {number} did not finish within {cellTimeout.TotalSeconds:0} s"));
                NotebookFile.Write(document, outputPath);
                Send(new("end", number, cells.Count, "timeout", clock.Elapsed.TotalSeconds,
                    $"did not finish within {cellTimeout.TotalSeconds:0} s (per-cell timeout; raise it with --cell-timeout)", preview));
                // A cancelled submission leaves the kernel busy, so nothing after it can run: end the process.
                return 3;
            }
            var result = await submit;
            cell.ExecutionOrder = ++order;
            var error = Collect(result, cell.Outputs);
            NotebookFile.Write(document, outputPath);
            if (error is null)
            {
                Send(new("end", number, cells.Count, "ok", clock.Elapsed.TotalSeconds, Preview: preview));
            }
            else
            {
                failed = true;
                Send(new("end", number, cells.Count, "error", clock.Elapsed.TotalSeconds, error, preview));
            }
        }
        Send(new("done", cells.Count, cells.Count, failed ? "error" : "ok"));
        return failed ? 1 : 0;
    }

    private static CompositeKernel CreateKernel()
    {
        var csharp = new CSharpKernel()
            .UseKernelHelpers()
            .UseNugetDirective((k, refs) =>
            {
                k.AddAssemblyReferences(refs.SelectMany(r => r.AssemblyPaths));
                return Task.CompletedTask;
            });
        return new CompositeKernel { csharp }.Also(k => k.DefaultKernelName = "csharp");
    }

    /// <summary>Turns the kernel's events into notebook outputs; returns the error message if the cell failed.</summary>
    private static string? Collect(KernelCommandResult result, List<InteractiveDocumentOutputElement> outputs)
    {
        string? error = null;
        // A display can be updated in place (progress lines); keep its latest state, where it first appeared.
        var displays = new Dictionary<string, int>();
        foreach (var e in result.Events)
        {
            switch (e)
            {
                case StandardOutputValueProduced o:
                    outputs.Add(new TextElement(Text(o.FormattedValues), "stdout"));
                    break;
                case StandardErrorValueProduced o:
                    outputs.Add(new TextElement(Text(o.FormattedValues), "stderr"));
                    break;
                case ReturnValueProduced r:
                    outputs.Add(new ReturnValueElement().Also(v => Fill(v.Data, r.FormattedValues)));
                    break;
                case DisplayedValueUpdated u:
                    // The update's id is not always the one the display was produced with (kernel helpers mint
                    // their own); then it belongs to the latest display not yet claimed by another update.
                    if (u.ValueId is null || !displays.TryGetValue(u.ValueId, out var at))
                    {
                        at = outputs.FindLastIndex(o => o is DisplayElement);
                        if (at < 0) { outputs.Add(new DisplayElement(Mimes(u.FormattedValues))); break; }
                        if (u.ValueId is not null) displays[u.ValueId] = at;
                    }
                    outputs[at] = new DisplayElement(Mimes(u.FormattedValues));
                    break;
                case DisplayedValueProduced d:
                    if (d.ValueId is not null) displays[d.ValueId] = outputs.Count;
                    outputs.Add(new DisplayElement(Mimes(d.FormattedValues)));
                    break;
                case CommandFailed f:
                    error = f.Exception?.Message is { Length: > 0 } m && !f.Message.Contains(m) ? $"{f.Message} {m}" : f.Message;
                    outputs.Add(new ErrorElement(f.Exception?.GetType().Name ?? "Error", error));
                    break;
            }
        }
        return error;
    }

    private static string Text(IReadOnlyCollection<FormattedValue> values) =>
        values.FirstOrDefault(v => v.MimeType == "text/plain")?.Value ?? values.FirstOrDefault()?.Value ?? "";

    private static Dictionary<string, object> Mimes(IReadOnlyCollection<FormattedValue> values) =>
        new Dictionary<string, object>().Also(d => Fill(d, values));

    private static void Fill(IDictionary<string, object> data, IReadOnlyCollection<FormattedValue> values)
    {
        foreach (var v in values) data[v.MimeType] = v.Value;
    }

    internal static string Preview(string code)
    {
        var line = code.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith("//")) ?? "";
        return line.Length > 60 ? line[..57] + "..." : line;
    }

    private static T Also<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}
