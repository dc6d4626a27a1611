using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Course.Cli.Bench;

/// <summary>
/// Collects the bench's figures twice: as rows of a plain-text table (section, measure, value, comparison) and as a flat
/// JSON object whose numbers are <c>null</c> where a figure could not be measured (the reason goes into the table and
/// into <c>reasons</c>).
/// </summary>
public sealed class BenchReport
{
    private readonly List<(string Section, string Measure, string Value, string Note)> _rows = [];
    private readonly JsonObject _json = new();
    private readonly JsonObject _reasons = new();
    private readonly JsonObject _details = new();
    private string _section = "";

    public void Section(string title) => _section = title;

    public void Row(string measure, string value, string note = "")
    {
        _rows.Add((_section, measure, value, note));
        Console.Error.WriteLine($"  {measure}: {value}{(note.Length > 0 ? $"  ({note})" : "")}");
    }

    /// <summary>A JSON number, or null with the reason it is missing.</summary>
    public void Set(string key, double? value, string? reason = null)
    {
        var ok = value is { } v && double.IsFinite(v);
        _json[key] = ok ? JsonValue.Create(Math.Round(value!.Value, 6)) : null;
        if (!ok) _reasons[key] = reason ?? "not measured";
    }

    public void SetText(string key, string value) => _json[key] = value;

    public void Detail(string key, JsonNode node) => _details[key] = node;

    public string Table()
    {
        var text = new StringBuilder();
        var w1 = Math.Max(7, _rows.Max(r => r.Measure.Length));
        var w2 = Math.Max(5, _rows.Max(r => r.Value.Length));
        string? section = null;
        foreach (var (s, measure, value, note) in _rows)
        {
            if (s != section)
            {
                text.AppendLine().AppendLine($"{s}").AppendLine(new string('-', Math.Min(120, w1 + w2 + 40)));
                section = s;
            }
            text.AppendLine($"{measure.PadRight(w1)}  {value.PadLeft(w2)}  {note}".TrimEnd());
        }
        return text.ToString();
    }

    public string Json()
    {
        var root = _json.DeepClone().AsObject();
        root["reasons"] = _reasons.DeepClone();
        root["details"] = _details.DeepClone();
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static string F(double value, int decimals = 1) => value.ToString($"N{decimals}", CultureInfo.InvariantCulture);
}
