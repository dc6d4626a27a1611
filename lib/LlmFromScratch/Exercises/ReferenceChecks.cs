using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Exercises;

/// <summary>
/// What checks against the library share: building the learner's module from their factory and giving it the
/// reference module's weights by state-dict name, a tensor comparison that also catches NaN (which
/// <see cref="Compare.Tensors"/> lets through, since NaN compares false with the tolerance), and a count comparison
/// that explains common slips without printing the answer.
/// </summary>
internal static class ReferenceChecks
{
    /// <summary>Calls the learner's factory, e.g. <c>(int dIn, int dOut, …) => new MyMultiHeadAttention(…)</c>.</summary>
    public static nn.Module<Tensor, Tensor> Build(Delegate factory, string what, params object?[] args) =>
        Learner.Call<nn.Module<Tensor, Tensor>>(factory, args)
        ?? throw new Mismatch($"{what}: your factory returned null instead of a module");

    /// <summary>
    /// Copies every parameter of <paramref name="reference"/> into the parameter of the same name in
    /// <paramref name="learner"/>. Buffers are not compared (a causal mask may or may not be one).
    /// </summary>
    /// <exception cref="Mismatch">A parameter is missing, extra, or has another shape; the message lists them.</exception>
    public static void CopyParameters(nn.Module reference, nn.Module learner, string what)
    {
        var expected = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var actual = learner.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        if (actual.Count == 0)
            throw new Mismatch($"{what}: your module has no parameters (does its constructor end with RegisterComponents()?); " +
                               $"expected {Names(expected)}");
        var missing = expected.Where(p => !actual.ContainsKey(p.Key)).ToList();
        var extra = actual.Where(p => !expected.ContainsKey(p.Key)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new Mismatch(
                $"{what}: your module's parameters are not named like the library's (the names are the book's state-dict keys)" +
                (missing.Count > 0 ? $"; missing {Names(missing)}" : "") +
                (extra.Count > 0 ? $"; unexpected {Names(extra)}" : ""));
        foreach (var (name, value) in expected)
            if (!actual[name].shape.SequenceEqual(value.shape))
                throw new Mismatch($"{what}: parameter {name} has shape {Shape(actual[name])}, expected {Shape(value)}" +
                                   (name.EndsWith(".weight") && value.dim() == 2 ? " (a Linear(in, out) stores its weight as (out, in))" : ""));
        using var _ = no_grad();
        foreach (var (name, value) in expected) actual[name].copy_(value);
    }

    /// <summary><see cref="Compare.Tensors"/>, after first reporting a NaN where the reference has a number.</summary>
    public static void Tensors(Tensor actual, Tensor expected, string what, double atol = 1e-5)
    {
        if (actual is not null && actual.is_floating_point() && actual.shape.SequenceEqual(expected.shape))
        {
            using var scope = NewDisposeScope();
            var nan = actual.detach().cpu().isnan().logical_and(expected.detach().cpu().isnan().logical_not()).flatten();
            if (nan.any().item<bool>())
            {
                var flat = nan.nonzero()[0, 0].item<long>();
                throw new Mismatch($"{what}: got NaN at [{string.Join(", ", Unravel(flat, actual.shape))}], expected " +
                                   $"{expected.flatten()[flat].to(float64).item<double>():G6} (0/0, or ∞/∞ after an exp overflowed?)");
            }
        }
        Compare.Tensors(actual!, expected, what, atol);
    }

    /// <summary>Compares a counted answer without printing the expected number: too high or too low, and why when the slip is a known one.</summary>
    /// <param name="answer">The learner's answer (any integer type).</param>
    /// <param name="expected">The count, computed from the library.</param>
    /// <param name="what">What was counted.</param>
    /// <param name="knownSlips">Wrong counts that come from a recognisable mistake, with the explanation to show.</param>
    public static void Count(object? answer, long expected, string what, params (long Count, string Why)[] knownSlips)
    {
        if (answer is null) throw new Mismatch($"{what}: got null, expected a number");
        long got;
        try
        {
            got = Convert.ToInt64(answer);
        }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
        {
            throw new Mismatch($"{what}: expected a whole number, got {answer} ({answer.GetType().Name})");
        }
        if (got == expected) return;
        var slip = knownSlips.FirstOrDefault(s => s.Count == got && s.Count != expected).Why;
        throw new Mismatch($"{what}: {got:N0} is too {(got > expected ? "high" : "low")}" + (slip is null ? "" : $": {slip}"));
    }

    /// <summary>"(2, 3, 4)".</summary>
    public static string Shape(Tensor t) => "(" + string.Join(", ", t.shape) + ")";

    private static string Names(IEnumerable<KeyValuePair<string, TorchSharp.Modules.Parameter>> parameters) =>
        string.Join(", ", parameters.Select(p => $"{p.Key} {Shape(p.Value)}"));

    private static long[] Unravel(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return index;
    }
}
