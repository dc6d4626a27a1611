using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using LlmFromScratch.Weights;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Weights;

/// <summary>
/// A seeded generator of damaged and hostile safetensors files, and the check each one must pass: it either
/// opens and every tensor reads back as exactly its bytes in the file, or it throws <see cref="InvalidWeightsFileException"/>.
/// Where a mutation's verdict is certain (a truncation, an overlap) the case says so and the verdict is checked too.
/// </summary>
internal sealed class SafeTensorsFuzzer(int seed)
{
    private readonly Random _random = new(seed);

    /// <summary>One file to try. <paramref name="ExpectValid"/> is null when the mutation may or may not leave it valid.</summary>
    public sealed record Case(string Kind, byte[] Bytes, bool? ExpectValid);

    /// <summary>What happened when the file was opened and read.</summary>
    public sealed record Verdict(bool Valid, string? Message, string? Unexpected);

    /// <summary>One header entry, as raw JSON fragments so that mutations can put any JSON in any place.</summary>
    private sealed record Entry(string Name, string DType, string Shape, string Offsets, string Extra = "")
    {
        public string Render() =>
            $"{JsonString(Name)}:{{\"dtype\":{DType},\"shape\":{Shape},\"data_offsets\":{Offsets}{Extra}}}";
    }

    private sealed record Model(List<Entry> Entries, string? Metadata, byte[] Data)
    {
        public Model Copy() => new(new List<Entry>(Entries), Metadata, (byte[])Data.Clone());
    }

    public IEnumerable<Case> Cases()
    {
        var bases = new[] { RichModel(), SingleModel(), EmptyModel() };
        foreach (var model in bases)
        {
            var bytes = Render(model);
            yield return new Case("base", bytes, true);
            foreach (var c in Truncations(bytes)) yield return c;
            foreach (var c in LengthLies(bytes)) yield return c;
            foreach (var c in Appends(bytes)) yield return c;
        }
        for (var i = 0; i < 1500; i++) yield return ByteFlips(Render(bases[i % 2]));
        for (var i = 0; i < 1800; i++) yield return StructuralMutation(bases[i % 2].Copy());
        for (var i = 0; i < 600; i++) yield return TextEdit(bases[i % 2]);
        foreach (var c in Oddities()) yield return c;
    }

    /// <summary>Opens the file and reads every tensor, comparing its bytes with the file's.</summary>
    public static Verdict Check(string path, byte[] bytes)
    {
        try
        {
            using var file = SafeTensorsFile.Open(path);
            foreach (var info in file.Tensors)
            {
                using var t = file.ReadTensor(info.Name);
                if (!t.shape.SequenceEqual(info.Shape)) return new(true, null, $"tensor '{info.Name}' read with shape [{string.Join(",", t.shape)}]");
                var expected = bytes.AsSpan((int)(file.DataStart + info.Begin), (int)info.ByteCount);
                if (!t.bytes.SequenceEqual(expected)) return new(true, null, $"tensor '{info.Name}' bytes differ from the file");
            }
            return new(true, null, null);
        }
        catch (InvalidWeightsFileException e)
        {
            return e.Message.Contains(path, StringComparison.Ordinal)
                ? new(false, e.Message, null)
                : new(false, e.Message, $"message does not name the file: {e.Message}");
        }
        catch (Exception e)
        {
            return new(false, null, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static Model RichModel()
    {
        var data = new List<byte>();
        var entries = new List<Entry>();
        void Add(string name, string dtype, long[] shape, int size)
        {
            var count = shape.Aggregate(1L, (a, b) => a * b) * size;
            entries.Add(new Entry(name, $"\"{dtype}\"", $"[{string.Join(",", shape)}]", $"[{data.Count},{data.Count + count}]"));
            for (var i = 0; i < count; i++) data.Add((byte)(i * 37 + name.Length));
        }
        Add("h.0.attn.c_attn.weight", "F32", [2, 6], 4);
        Add("wpe.weight", "I64", [3], 8);
        Add("ln_f.bias", "BF16", [4], 2);
        Add("scalar", "F16", [], 2);
        Add("empty", "F32", [0, 3], 4);
        Add("tokens", "I32", [2, 1, 2], 4);
        Add("bytes", "U8", [5], 1);
        return new Model(entries, "{\"format\":\"pt\",\"source\":\"fuzz\"}", data.ToArray());
    }

    private static Model SingleModel() =>
        new([new Entry("w", "\"F32\"", "[2,2]", "[0,16]")], null, [.. Enumerable.Range(0, 16).Select(i => (byte)i)]);

    private static Model EmptyModel() => new([], null, []);

    private static byte[] Render(Model model) => Render(model.Entries.Select(e => e.Render()), model.Metadata, model.Data);

    private static byte[] Render(IEnumerable<string> entries, string? metadata, byte[] data)
    {
        var parts = new List<string>();
        if (metadata is not null) parts.Add("\"__metadata__\":" + metadata);
        parts.AddRange(entries);
        return Assemble(Encoding.UTF8.GetBytes("{" + string.Join(",", parts) + "}"), data);
    }

    private static byte[] Assemble(byte[] header, byte[] data, ulong? claimedLength = null)
    {
        var padded = header.Length % 8 == 0 ? header : [.. header, .. Enumerable.Repeat((byte)' ', 8 - header.Length % 8)];
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, claimedLength ?? (ulong)padded.Length);
        return [.. prefix, .. padded, .. data];
    }

    private static IEnumerable<Case> Truncations(byte[] bytes)
    {
        // Every length short of the whole file: inside the prefix, the header, every tensor and at every boundary.
        for (var n = 0; n < bytes.Length; n++) yield return new Case("truncated", bytes[..n], false);
    }

    private static IEnumerable<Case> Appends(byte[] bytes)
    {
        for (var n = 1; n <= 9; n++) yield return new Case("trailing bytes", [.. bytes, .. new byte[n]], false);
    }

    private static IEnumerable<Case> LengthLies(byte[] bytes)
    {
        var real = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var file = (ulong)bytes.Length;
        ulong[] lies =
        [
            0, 1, 2, 7, 8, real - 1, real + 1, real - 8, real + 8, file - 8, file - 7, file, file + 1,
            100_000_000, 100_000_001, uint.MaxValue, (ulong)long.MaxValue, (ulong)long.MaxValue + 1, ulong.MaxValue,
        ];
        foreach (var lie in lies.Where(l => l != real).Distinct())
        {
            var copy = (byte[])bytes.Clone();
            BinaryPrimitives.WriteUInt64LittleEndian(copy, lie);
            yield return new Case("header length lie", copy, false);
        }
    }

    private Case ByteFlips(byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        var headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var flips = _random.Next(1, 5);
        var where = _random.Next(10);
        for (var i = 0; i < flips; i++)
        {
            var at = where switch
            {
                < 2 => _random.Next(8),                                   // the length prefix
                < 8 => _random.Next(8, headerEnd),                        // the JSON
                _ => _random.Next(Math.Min(headerEnd, copy.Length - 1), copy.Length), // the data
            };
            copy[at] = _random.Next(3) == 0 ? (byte)(copy[at] ^ (1 << _random.Next(8))) : (byte)_random.Next(256);
        }
        var kind = where switch { < 2 => "flip in length", < 8 => "flip in header", _ => "flip in data" };
        return new Case(kind, copy, where >= 8 ? true : null); // data bytes are never validated, so flipping them keeps the file valid
    }

    private Case StructuralMutation(Model model)
    {
        var entries = model.Entries;
        var i = _random.Next(entries.Count);
        var e = entries[i];
        switch (_random.Next(14))
        {
            case 0:
            {
                var bad = Pick("\"F31\"", "\"f32\"", "\"\"", "\"FLOAT\"", "\"F8\"", "\"F32 \"");
                entries[i] = e with { DType = bad };
                return new Case("unknown dtype", Render(model), false);
            }
            case 1:
            {
                entries[i] = e with { DType = Pick("1", "null", "[\"F32\"]", "{}", "true") };
                return new Case("dtype of wrong JSON type", Render(model), false);
            }
            case 2:
            {
                // Same element size: still valid, and the bytes are read as the other type.
                var swapped = e.DType switch
                {
                    "\"F32\"" => "\"I32\"", "\"I32\"" => "\"F32\"", "\"F16\"" => "\"BF16\"", "\"BF16\"" => "\"I16\"",
                    "\"I64\"" => "\"F64\"", "\"U8\"" => "\"I8\"", _ => e.DType,
                };
                entries[i] = e with { DType = swapped };
                return new Case("dtype of same size", Render(model), true);
            }
            case 3:
            {
                var size = SizeOf(e.DType);
                var other = Pick(Sizes.Where(p => p.Value != size).Select(p => p.Key).ToArray());
                var empty = e.Shape.Contains("[0") || e.Shape.Contains(",0");
                entries[i] = e with { DType = other };
                return new Case("dtype of other size", Render(model), empty ? null : false);
            }
            case 4:
            {
                entries[i] = e with { Shape = Pick("[-1]", "[1.5]", "[\"2\"]", "[null]", "[[2]]", "2", "null", "{}", "[1e30]", "[18446744073709551616]", "[9223372036854775808]") };
                return new Case("shape malformed", Render(model), false);
            }
            case 5:
            {
                entries[i] = e with { Shape = Pick("[4294967296,4294967296,4]", "[9223372036854775807,2]", "[3037000500,3037000500]", "[1000000,1000000,1000000]") };
                return new Case("shape huge", Render(model), false);
            }
            case 6:
            {
                var dims = e.Shape.Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries);
                var mode = _random.Next(3);
                var reshaped = mode switch
                {
                    0 => "[" + string.Join(",", dims.Reverse()) + "]",   // same element count: valid
                    1 => "[" + string.Join(",", dims.Append("1")) + "]", // an extra 1: valid
                    _ => "[" + string.Join(",", dims.Select(d => (long.Parse(d, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture))) + "]",
                };
                entries[i] = e with { Shape = reshaped };
                // Adding 1 to every dimension always grows the element count (unless there are none).
                return new Case("shape changed", Render(model), mode < 2 || dims.Length == 0);
            }
            case 7:
            {
                var (b, end) = Offsets(e);
                var shift = Pick(-9, -1, 1, 4, 9, 1000, -1000);
                var how = _random.Next(3);
                var moved = how switch
                {
                    0 => $"[{b + shift},{end + shift}]",
                    1 => $"[{b},{end + shift}]",
                    _ => $"[{b + shift},{end}]",
                };
                entries[i] = e with { Offsets = moved };
                // An empty tensor moved as a whole may land on another boundary, which is valid.
                return new Case("offsets shifted", Render(model), how == 0 && b == end ? null : false);
            }
            case 8:
            {
                var (b, end) = Offsets(e);
                entries[i] = e with
                {
                    Offsets = Pick($"[{end},{b}]", $"[{b}]", $"[{b},{end},{end}]", "[]", $"[\"{b}\",{end}]", $"[{b},-1]",
                        $"[{b},1e300]", $"[{b}.0,{end}]", "null", "{}", $"[{b},{model.Data.Length + 1}]",
                        $"[{b},9223372036854775807]", $"[{b},18446744073709551615]")
                };
                var same = b == end && entries[i].Offsets == $"[{end},{b}]";
                return new Case("offsets malformed", Render(model), same ? null : false);
            }
            case 9:
            {
                // Another tensor (or a renamed copy) starts somewhere inside this one's bytes.
                var (b, end) = Offsets(e);
                if (end == b) return new Case("overlap", Render(model), true);
                var start = b + _random.NextInt64(end - b);
                var others = Enumerable.Range(0, entries.Count).Where(k => k != i && Offsets(entries[k]) is var (ob, oe) && oe > ob).ToArray();
                if (others.Length == 0)
                {
                    entries.Add(e with { Name = e.Name + ".copy", Offsets = $"[{start},{start + end - b}]" });
                }
                else
                {
                    var j = Pick(others);
                    var (ob, oe) = Offsets(entries[j]);
                    entries[j] = entries[j] with { Offsets = $"[{start},{start + oe - ob}]" };
                }
                return new Case("overlap", Render(model), false);
            }
            case 10:
            {
                var (b, end) = Offsets(e);
                entries.RemoveAt(i);
                return new Case("tensor missing", Render(model), b == end ? true : false);
            }
            case 11:
            {
                entries.Add(e); // the same name twice
                return new Case("duplicate name", Render(model), false);
            }
            case 12:
            {
                var at = Pick(0, model.Data.Length);
                entries.Add(new Entry("extra." + _random.Next(1000), "\"F32\"", "[0]", $"[{at},{at}]"));
                return new Case("extra empty tensor", Render(model), true);
            }
            default:
            {
                var meta = Pick("{\"a\":1}", "{\"a\":null}", "{\"a\":{}}", "[]", "\"pt\"", "1", "{\"a\":[\"b\"]}");
                return new Case("metadata malformed", Render(model.Entries.Select(x => x.Render()), meta, model.Data), false);
            }
        }
    }

    /// <summary>Deletes, inserts or replaces one character of the JSON text (the length prefix is kept truthful).</summary>
    private Case TextEdit(Model model)
    {
        var parts = new List<string>();
        if (model.Metadata is not null) parts.Add("\"__metadata__\":" + model.Metadata);
        parts.AddRange(model.Entries.Select(e => e.Render()));
        var text = new StringBuilder("{" + string.Join(",", parts) + "}");
        var at = _random.Next(text.Length);
        var c = Pick('{', '}', '[', ']', ':', ',', '"', '0', '1', '9', '-', '.', 'e', ' ', '\\', 'n', 'u');
        switch (_random.Next(3))
        {
            case 0: text.Remove(at, 1); break;
            case 1: text.Insert(at, c); break;
            default: text[at] = c; break;
        }
        return new Case("json text edit", Assemble(Encoding.UTF8.GetBytes(text.ToString()), model.Data), null);
    }

    private IEnumerable<Case> Oddities()
    {
        var single = SingleModel();
        var data = single.Data;
        var entry = single.Entries[0].Render();
        yield return new Case("json: leading space", Assemble(Encoding.UTF8.GetBytes(" {" + entry + "}"), data), false);
        yield return new Case("json: BOM", Assemble([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("{" + entry + "}")], data), false);
        yield return new Case("json: trailing garbage", Assemble(Encoding.UTF8.GetBytes("{" + entry + "}x"), data), false);
        yield return new Case("json: trailing comma", Assemble(Encoding.UTF8.GetBytes("{" + entry + ",}"), data), false);
        yield return new Case("json: comment", Assemble(Encoding.UTF8.GetBytes("{/*c*/" + entry + "}"), data), false);
        yield return new Case("json: NUL padding", Assemble([.. Encoding.UTF8.GetBytes("{" + entry + "}"), 0, 0, 0, 0, 0, 0, 0, 0], data), false);
        yield return new Case("json: deep nesting", Assemble(Encoding.UTF8.GetBytes("{\"a\":" + new string('[', 10_000) + new string(']', 10_000) + "}"), []), false);
        yield return new Case("json: invalid UTF-8 name", Assemble([.. "{\""u8, 0xFF, 0xFE, .. "\":{}}"u8], []), false);
        yield return new Case("json: lone surrogate escape", Assemble(Encoding.UTF8.GetBytes("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}"), data), false);
        yield return new Case("json: escaped name", Assemble(Encoding.UTF8.GetBytes("{\"a\\u0000b\\n\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}"), data), true);
        yield return new Case("json: long name", Render([new Entry(new string('n', 100_000), "\"F32\"", "[4]", "[0,16]").Render()], null, data), true);
        yield return new Case("json: many tensors", Render(Enumerable.Range(0, 2000).Select(k => new Entry($"t{k}", "\"U8\"", "[1]", $"[{k},{k + 1}]").Render()), null, new byte[2000]), true);
        yield return new Case("json: rank 64", Render([new Entry("r", "\"F32\"", "[" + string.Join(",", Enumerable.Repeat(1, 64)) + "]", "[0,4]").Render()], null, new byte[4]), true);
        yield return new Case("json: rank 65", Render([new Entry("r", "\"F32\"", "[" + string.Join(",", Enumerable.Repeat(1, 65)) + "]", "[0,4]").Render()], null, new byte[4]), false);
        yield return new Case("json: zero dims, many", Render([new Entry("z", "\"F32\"", "[0,9223372036854775807,9223372036854775807]", "[0,0]").Render()], null, []), false);
        yield return new Case("json: zero dim, big", Render([new Entry("z", "\"F32\"", "[0,4611686018427387904]", "[0,0]").Render()], null, []), true);
        yield return new Case("json: exponent integer", Render([new Entry("w", "\"F32\"", "[4e0]", "[0,16]").Render()], null, data), null);
        yield return new Case("json: root is array", Assemble(Encoding.UTF8.GetBytes("[]"), []), false);
        yield return new Case("json: root is string", Assemble(Encoding.UTF8.GetBytes("\"{}\""), []), false);
        yield return new Case("json: lone surrogate in dtype", Assemble(Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"\\udc00\",\"shape\":[4],\"data_offsets\":[0,16]}}"), data), false);
        yield return new Case("json: lone surrogate in metadata", Assemble(Encoding.UTF8.GetBytes("{\"__metadata__\":{\"k\":\"\\ud800x\"}}"), []), false);
        yield return new Case("json: empty header", Assemble([], []), false);
    }

    private static (long Begin, long End) Offsets(Entry e)
    {
        var parts = e.Offsets.Trim('[', ']').Split(',');
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private static readonly Dictionary<string, int> Sizes = new()
    {
        ["\"BOOL\""] = 1, ["\"U8\""] = 1, ["\"I8\""] = 1, ["\"I16\""] = 2, ["\"F16\""] = 2, ["\"BF16\""] = 2,
        ["\"I32\""] = 4, ["\"F32\""] = 4, ["\"U32\""] = 4, ["\"I64\""] = 8, ["\"F64\""] = 8,
    };

    private static int SizeOf(string dtype) => Sizes[dtype];

    private T Pick<T>(params T[] options) => options[_random.Next(options.Length)];

    private static string JsonString(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
