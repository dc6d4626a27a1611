using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Weights;

/// <summary>
/// Translates between Hugging Face's GPT-2 weights (<c>wte</c>, <c>h.0.attn.c_attn</c>, …) and the book's
/// state-dict keys (<c>tok_emb</c>, <c>trf_blocks.0.att.W_query</c>, …); the book's <c>load_weights_into_gpt</c>, §5.5.
/// </summary>
/// <remarks>
/// Two differences besides names. OpenAI's GPT-2 uses a <c>Conv1D</c> layer that stores its weight as
/// (in, out), where <c>Linear</c> stores (out, in), so every projection is transposed. And the query, key and
/// value projections are one fused <c>c_attn</c> of width 3·emb, split here into three. GPT-2 ties its output
/// head to the token embedding, so <c>out_head.weight</c> is a copy of <c>wte.weight</c>. The translations are pure
/// functions over dictionaries; <see cref="LoadInto"/> and <see cref="Export"/> apply them to a module.
/// </remarks>
public static partial class HfGpt2
{
    /// <summary>Metadata written on export; <c>transformers</c> reads <c>format</c> to know the tensors are PyTorch's.</summary>
    public static IReadOnlyDictionary<string, string> ExportMetadata { get; } = new Dictionary<string, string> { ["format"] = "pt" };

    /// <summary>
    /// Maps Hugging Face GPT-2 tensors to the book's keys. Keys may carry a <c>transformer.</c> prefix; the
    /// attention-mask buffers <c>h.N.attn.bias</c> / <c>masked_bias</c> are ignored; an <c>lm_head.weight</c>, if present,
    /// becomes <c>out_head.weight</c> (else <c>wte.weight</c> does).
    /// </summary>
    /// <param name="hf">Hugging Face keys → tensors, e.g. <c>wte.weight</c> (vocab, emb), <c>h.0.attn.c_attn.weight</c> (emb, 3·emb).</param>
    /// <param name="nLayers">Number of transformer blocks the target model has.</param>
    /// <returns>New tensors (nothing aliases the input) under the book's keys, with q/k/v biases.</returns>
    /// <exception cref="WeightsMismatchException">A key is missing or unexpected, or a shape is inconsistent.</exception>
    public static Dictionary<string, Tensor> ToCourseStateDict(IReadOnlyDictionary<string, Tensor> hf, int nLayers)
    {
        ArgumentNullException.ThrowIfNull(hf);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nLayers);
        var src = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (rawKey, tensor) in hf)
        {
            var key = rawKey.StartsWith("transformer.", StringComparison.Ordinal) ? rawKey["transformer.".Length..] : rawKey;
            if (MaskBuffer().IsMatch(key)) continue;
            if (!src.TryAdd(key, tensor)) problems.Add($"'{key}' appears both with and without the 'transformer.' prefix");
        }

        var expected = HfShapes(src, nLayers, includeLmHead: src.ContainsKey("lm_head.weight"), problems);
        CheckAgainst(expected, src, problems, nLayers, "the Hugging Face GPT-2 weights");

        var course = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using var _ = no_grad();
            course["tok_emb.weight"] = Copy(src["wte.weight"]);
            course["pos_emb.weight"] = Copy(src["wpe.weight"]);
            for (var i = 0; i < nLayers; i++)
            {
                string H(string name) => $"h.{i}.{name}";
                string B(string name) => $"trf_blocks.{i}.{name}";
                // c_attn is (emb, 3·emb) = [q | k | v] along its output axis; transposed, the three are row blocks.
                using (var fusedT = src[H("attn.c_attn.weight")].detach().t())
                using (var fusedBias = src[H("attn.c_attn.bias")].detach())
                {
                    var qkv = fusedT.chunk(3, 0);
                    var qkvBias = fusedBias.chunk(3, 0);
                    string[] names = ["W_query", "W_key", "W_value"];
                    for (var j = 0; j < 3; j++)
                    {
                        course[B($"att.{names[j]}.weight")] = qkv[j].contiguous().clone();
                        course[B($"att.{names[j]}.bias")] = qkvBias[j].clone();
                        qkv[j].Dispose();
                        qkvBias[j].Dispose();
                    }
                }
                course[B("att.out_proj.weight")] = Transposed(src[H("attn.c_proj.weight")]);
                course[B("att.out_proj.bias")] = Copy(src[H("attn.c_proj.bias")]);
                course[B("ff.layers.0.weight")] = Transposed(src[H("mlp.c_fc.weight")]);
                course[B("ff.layers.0.bias")] = Copy(src[H("mlp.c_fc.bias")]);
                course[B("ff.layers.2.weight")] = Transposed(src[H("mlp.c_proj.weight")]);
                course[B("ff.layers.2.bias")] = Copy(src[H("mlp.c_proj.bias")]);
                course[B("norm1.scale")] = Copy(src[H("ln_1.weight")]);
                course[B("norm1.shift")] = Copy(src[H("ln_1.bias")]);
                course[B("norm2.scale")] = Copy(src[H("ln_2.weight")]);
                course[B("norm2.shift")] = Copy(src[H("ln_2.bias")]);
            }
            course["final_norm.scale"] = Copy(src["ln_f.weight"]);
            course["final_norm.shift"] = Copy(src["ln_f.bias"]);
            // Weight tying: GPT-2 reuses the token embedding as its output projection.
            course["out_head.weight"] = Copy(src.TryGetValue("lm_head.weight", out var head) ? head : src["wte.weight"]);
            return course;
        }
        catch
        {
            foreach (var t in course.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Maps the book's keys back to Hugging Face's GPT-2 layout (no prefix, Conv1D orientation, fused
    /// <c>c_attn</c>), so a model trained in the course opens in <c>transformers</c> and other tools.
    /// </summary>
    /// <param name="course">The book's keys → tensors, as <c>GptModel.state_dict()</c> gives them.</param>
    /// <param name="nLayers">Number of transformer blocks.</param>
    /// <param name="includeLmHead">
    /// GPT-2's layout has no output head: it reuses <c>wte</c>. When the course model's <c>out_head</c> differs from
    /// <c>tok_emb</c> (trained untied), exporting would silently drop it, so this throws unless you pass true, which
    /// writes it as <c>lm_head.weight</c> (load it with <c>tie_word_embeddings=False</c> in the tool's config).
    /// </param>
    /// <returns>New tensors under Hugging Face keys. Missing q/k/v biases (a model built with QkvBias = false) are written as zeros, which computes the same thing.</returns>
    /// <exception cref="WeightsMismatchException">A key is missing or unexpected, or a shape is inconsistent.</exception>
    /// <exception cref="ArgumentException">The output head is untied and <paramref name="includeLmHead"/> is false.</exception>
    public static Dictionary<string, Tensor> FromCourseStateDict(IReadOnlyDictionary<string, Tensor> course, int nLayers, bool includeLmHead = false)
    {
        ArgumentNullException.ThrowIfNull(course);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nLayers);
        var problems = new List<string>();
        var expected = CourseShapes(course, nLayers, problems);
        CheckAgainst(expected, course, problems, nLayers, "the course model's weights");

        using var _ = no_grad();
        bool tied;
        using (var head = course["out_head.weight"].detach().cpu())
        using (var tok = course["tok_emb.weight"].detach().cpu())
        using (var same = head.eq(tok).all())
            tied = same.item<bool>();
        if (!tied && !includeLmHead)
            throw new ArgumentException(
                "out_head.weight differs from tok_emb.weight, but GPT-2's layout has no output head of its own (it reuses wte), " +
                "so exporting would drop the trained head. Pass includeLmHead: true to write it as lm_head.weight.", nameof(includeLmHead));

        var hf = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            hf["wte.weight"] = Copy(course["tok_emb.weight"]);
            hf["wpe.weight"] = Copy(course["pos_emb.weight"]);
            for (var i = 0; i < nLayers; i++)
            {
                string H(string name) => $"h.{i}.{name}";
                string B(string name) => $"trf_blocks.{i}.{name}";
                using (var q = course[B("att.W_query.weight")].detach())
                using (var k = course[B("att.W_key.weight")].detach())
                using (var v = course[B("att.W_value.weight")].detach())
                using (var fused = cat([q, k, v], 0))
                    hf[H("attn.c_attn.weight")] = Transposed(fused);
                hf[H("attn.c_attn.bias")] = FusedBias(course, B("att."));
                hf[H("attn.c_proj.weight")] = Transposed(course[B("att.out_proj.weight")]);
                hf[H("attn.c_proj.bias")] = Copy(course[B("att.out_proj.bias")]);
                hf[H("mlp.c_fc.weight")] = Transposed(course[B("ff.layers.0.weight")]);
                hf[H("mlp.c_fc.bias")] = Copy(course[B("ff.layers.0.bias")]);
                hf[H("mlp.c_proj.weight")] = Transposed(course[B("ff.layers.2.weight")]);
                hf[H("mlp.c_proj.bias")] = Copy(course[B("ff.layers.2.bias")]);
                hf[H("ln_1.weight")] = Copy(course[B("norm1.scale")]);
                hf[H("ln_1.bias")] = Copy(course[B("norm1.shift")]);
                hf[H("ln_2.weight")] = Copy(course[B("norm2.scale")]);
                hf[H("ln_2.bias")] = Copy(course[B("norm2.shift")]);
            }
            hf["ln_f.weight"] = Copy(course["final_norm.scale"]);
            hf["ln_f.bias"] = Copy(course["final_norm.shift"]);
            if (!tied) hf["lm_head.weight"] = Copy(course["out_head.weight"]);
            return hf;
        }
        catch
        {
            foreach (var t in hf.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads a Hugging Face GPT-2 safetensors file into a model with the book's state-dict keys (a <c>GptModel</c>
    /// built with the matching GPT-2 config and QkvBias = true). Strict: see <see cref="StrictStateDict.Load"/>.
    /// </summary>
    /// <exception cref="InvalidWeightsFileException">The file is damaged.</exception>
    /// <exception cref="WeightsMismatchException">The file does not fit the model (names each key with both shapes); nothing was copied.</exception>
    public static void LoadInto(nn.Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var nLayers = CountLayers(model.state_dict().Keys, path);
        using var file = SafeTensorsFile.Open(path);
        var hf = file.ReadAll();
        StrictStateDict.Load(model, ToCourseStateDict(hf, nLayers), path);
    }

    /// <summary>Writes a model with the book's keys as a Hugging Face GPT-2 safetensors file (atomically), with <c>{"format": "pt"}</c> metadata.</summary>
    /// <inheritdoc cref="FromCourseStateDict" path="/param[@name='includeLmHead']"/>
    public static void Export(nn.Module model, string path, bool includeLmHead = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var state = model.state_dict();
        var hf = FromCourseStateDict(state, CountLayers(state.Keys, "the model"), includeLmHead);
        SafeTensorsFile.Save(path, hf, ExportMetadata);
    }

    /// <summary>An independent copy (nothing aliases the source), outside autograd.</summary>
    private static Tensor Copy(Tensor t)
    {
        using var detached = t.detach();
        return detached.clone();
    }

    /// <summary>A contiguous transposed copy: Conv1D's (in, out) ↔ Linear's (out, in).</summary>
    private static Tensor Transposed(Tensor t)
    {
        using var detached = t.detach();
        using var view = detached.t();
        return view.contiguous();
    }

    private static Tensor FusedBias(IReadOnlyDictionary<string, Tensor> course, string att)
    {
        if (!course.ContainsKey(att + "W_query.bias"))
        {
            var w = course[att + "W_query.weight"];
            return zeros(3 * w.shape[0], dtype: w.dtype, device: w.device);
        }
        using var q = course[att + "W_query.bias"].detach();
        using var k = course[att + "W_key.bias"].detach();
        using var v = course[att + "W_value.bias"].detach();
        return cat([q, k, v], 0);
    }

    /// <summary>Infers the number of blocks from keys like <c>trf_blocks.11.norm1.scale</c>.</summary>
    private static int CountLayers(IEnumerable<string> keys, string source)
    {
        var indices = keys.Select(k => BlockIndex().Match(k)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        if (indices.Count == 0)
            throw new WeightsMismatchException($"{source} has no trf_blocks.N.* keys; it does not look like the book's GPT model.", []);
        return indices.Max() + 1;
    }

    /// <summary>The exact key set and shapes a Hugging Face GPT-2 dict must have, sized from its own wte/wpe.</summary>
    private static Dictionary<string, long[]> HfShapes(Dictionary<string, Tensor> src, int nLayers, bool includeLmHead, List<string> problems)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        if (!src.TryGetValue("wte.weight", out var wte) || wte.dim() != 2 || !src.TryGetValue("wpe.weight", out var wpe) || wpe.dim() != 2)
        {
            problems.Add("'wte.weight' (vocab, emb) and 'wpe.weight' (context, emb) are needed to size the model");
            return shapes;
        }
        long v = wte.shape[0], e = wte.shape[1], c = wpe.shape[0];
        shapes["wte.weight"] = [v, e];
        shapes["wpe.weight"] = [c, e];
        for (var i = 0; i < nLayers; i++)
        {
            shapes[$"h.{i}.ln_1.weight"] = [e];
            shapes[$"h.{i}.ln_1.bias"] = [e];
            shapes[$"h.{i}.attn.c_attn.weight"] = [e, 3 * e];
            shapes[$"h.{i}.attn.c_attn.bias"] = [3 * e];
            shapes[$"h.{i}.attn.c_proj.weight"] = [e, e];
            shapes[$"h.{i}.attn.c_proj.bias"] = [e];
            shapes[$"h.{i}.ln_2.weight"] = [e];
            shapes[$"h.{i}.ln_2.bias"] = [e];
            shapes[$"h.{i}.mlp.c_fc.weight"] = [e, 4 * e];
            shapes[$"h.{i}.mlp.c_fc.bias"] = [4 * e];
            shapes[$"h.{i}.mlp.c_proj.weight"] = [4 * e, e];
            shapes[$"h.{i}.mlp.c_proj.bias"] = [e];
        }
        shapes["ln_f.weight"] = [e];
        shapes["ln_f.bias"] = [e];
        if (includeLmHead) shapes["lm_head.weight"] = [v, e];
        return shapes;
    }

    /// <summary>The exact key set and shapes of the book's GPT state dict, sized from its own tok_emb/pos_emb.</summary>
    private static Dictionary<string, long[]> CourseShapes(IReadOnlyDictionary<string, Tensor> course, int nLayers, List<string> problems)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        if (!course.TryGetValue("tok_emb.weight", out var tok) || tok.dim() != 2 || !course.TryGetValue("pos_emb.weight", out var pos) || pos.dim() != 2)
        {
            problems.Add("'tok_emb.weight' (vocab, emb) and 'pos_emb.weight' (context, emb) are needed to size the model");
            return shapes;
        }
        long v = tok.shape[0], e = tok.shape[1], c = pos.shape[0];
        shapes["tok_emb.weight"] = [v, e];
        shapes["pos_emb.weight"] = [c, e];
        for (var i = 0; i < nLayers; i++)
        {
            var hasBias = course.ContainsKey($"trf_blocks.{i}.att.W_query.bias");
            foreach (var w in new[] { "W_query", "W_key", "W_value", "out_proj" })
            {
                shapes[$"trf_blocks.{i}.att.{w}.weight"] = [e, e];
                if (hasBias || w == "out_proj") shapes[$"trf_blocks.{i}.att.{w}.bias"] = [e];
            }
            shapes[$"trf_blocks.{i}.ff.layers.0.weight"] = [4 * e, e];
            shapes[$"trf_blocks.{i}.ff.layers.0.bias"] = [4 * e];
            shapes[$"trf_blocks.{i}.ff.layers.2.weight"] = [e, 4 * e];
            shapes[$"trf_blocks.{i}.ff.layers.2.bias"] = [e];
            foreach (var n in new[] { "norm1", "norm2" })
            {
                shapes[$"trf_blocks.{i}.{n}.scale"] = [e];
                shapes[$"trf_blocks.{i}.{n}.shift"] = [e];
            }
        }
        shapes["final_norm.scale"] = [e];
        shapes["final_norm.shift"] = [e];
        shapes["out_head.weight"] = [v, e];
        return shapes;
    }

    private static void CheckAgainst(Dictionary<string, long[]> expected, IReadOnlyDictionary<string, Tensor> given,
        List<string> problems, int nLayers, string source)
    {
        if (problems.Count == 0)
        {
            foreach (var (key, shape) in expected)
            {
                if (!given.TryGetValue(key, out var t)) problems.Add($"missing '{key}': expected [{string.Join(", ", shape)}]");
                else if (!t.shape.SequenceEqual(shape))
                    problems.Add($"shape of '{key}': expected [{string.Join(", ", shape)}], {source} has {StrictStateDict.ShapeText(t)}");
            }
            foreach (var (key, t) in given)
                if (!expected.ContainsKey(key)) problems.Add($"unexpected '{key}' {StrictStateDict.ShapeText(t)}");
        }
        if (problems.Count == 0) return;
        var layersSeen = given.Keys.Select(k => AnyBlockIndex().Match(k)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max() + 1;
        var layerNote = layersSeen > 0 && layersSeen != nLayers ? $" It has {layersSeen} layers; the model has {nLayers}." : "";
        throw new WeightsMismatchException($"{source} do not match GPT-2's layout.{layerNote}", problems);
    }

    [GeneratedRegex(@"^h\.\d+\.attn\.(bias|masked_bias)$")]
    private static partial Regex MaskBuffer();

    [GeneratedRegex(@"^trf_blocks\.(\d+)\.")]
    private static partial Regex BlockIndex();

    [GeneratedRegex(@"^(?:h|trf_blocks)\.(\d+)\.")]
    private static partial Regex AnyBlockIndex();
}
