namespace LlmFromScratch.Runtime;

/// <summary>
/// What a notebook's display does, for code run outside a notebook (the chapters exported by `course export`):
/// values print as text; charts are written to an HTML file whose path is printed.
/// </summary>
public static class ConsoleDisplay
{
    private static int _charts;

    /// <summary>Prints <paramref name="value"/>; a Plotly.NET chart goes to <c>charts/chart-N.html</c> instead.</summary>
    public static void Show(object? value)
    {
        switch (value)
        {
            case null:
                Console.WriteLine("null");
                break;
            case Plotly.NET.GenericChart chart:
                Directory.CreateDirectory("charts");
                var path = Path.GetFullPath(Path.Combine("charts", $"chart-{++_charts}.html"));
                File.WriteAllText(path, Plotly.NET.GenericChart.toEmbeddedHTML(chart));
                Console.WriteLine($"[chart written to {path}]");
                break;
            case TorchSharp.torch.Tensor t:
                Console.WriteLine(t.ToString(TorchSharp.TensorStringStyle.Julia));
                break;
            case string s:
                Console.WriteLine(s);
                break;
            case System.Collections.IEnumerable items:
                Console.WriteLine("[" + string.Join(", ", items.Cast<object?>().Select(i => i?.ToString())) + "]");
                break;
            default:
                Console.WriteLine(value);
                break;
        }
    }
}
