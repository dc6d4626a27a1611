using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Weights;

/// <summary>
/// Copies a state dict into a module, all or nothing: every key the module has must be supplied with the same
/// shape, and nothing else may be supplied. This is the strict counterpart of <c>load_state_dict</c> that the
/// course uses for every weight load, so a wrong file can never half-load and fail later in a confusing way.
/// </summary>
public static class StrictStateDict
{
    /// <summary>Checks every key and shape first, then copies values in place (dtype and device are converted).</summary>
    /// <param name="model">Any module; its <c>state_dict()</c> keys are the contract.</param>
    /// <param name="weights">Key → tensor in the module's naming.</param>
    /// <param name="source">Where the weights came from (a path), for the error message.</param>
    /// <exception cref="WeightsMismatchException">A key is missing or extra, or a shape differs; nothing was copied.</exception>
    public static void Load(nn.Module model, IReadOnlyDictionary<string, Tensor> weights, string source = "weights")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(weights);
        var target = model.state_dict();
        Check(target, weights, source);
        using var _ = no_grad();
        foreach (var (key, parameter) in target) parameter.copy_(weights[key]);
    }

    /// <summary>Throws unless <paramref name="weights"/> has exactly the keys and shapes of <paramref name="expected"/>.</summary>
    /// <exception cref="WeightsMismatchException">Lists every missing key, extra key and shape mismatch.</exception>
    public static void Check(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> weights, string source = "weights")
    {
        var problems = new List<string>();
        foreach (var (key, tensor) in expected)
        {
            if (!weights.TryGetValue(key, out var given))
                problems.Add($"missing '{key}': model {ShapeText(tensor)}, {source} has no such key");
            else if (!tensor.shape.SequenceEqual(given.shape))
                problems.Add($"shape of '{key}': model {ShapeText(tensor)}, {source} {ShapeText(given)}");
        }
        foreach (var (key, tensor) in weights)
        {
            if (!expected.ContainsKey(key))
                problems.Add($"extra '{key}': {source} {ShapeText(tensor)}, model has no such key" + Hint(key));
        }
        if (problems.Count > 0)
            throw new WeightsMismatchException(
                $"The weights in {source} do not fit the model ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}); nothing was loaded:",
                problems);
    }

    /// <summary>A shape as <c>[d0, d1]</c>.</summary>
    public static string ShapeText(Tensor t) => "[" + string.Join(", ", t.shape) + "]";

    private static string Hint(string key) =>
        key.EndsWith("W_query.bias", StringComparison.Ordinal) || key.EndsWith("W_key.bias", StringComparison.Ordinal) ||
        key.EndsWith("W_value.bias", StringComparison.Ordinal)
            ? " (GPT-2 has query/key/value biases: build the model with QkvBias = true)"
            : "";
}
