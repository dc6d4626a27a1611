using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Exercises;

/// <summary>
/// Comparisons that explain themselves: each throws <see cref="Mismatch"/> naming what differs — shape, dtype,
/// the largest absolute difference and the first wrong element — never just "wrong".
/// </summary>
public static class Compare
{
    /// <summary>Checks that two tensors have the same shape and dtype and agree within <paramref name="atol"/>.</summary>
    public static void Tensors(Tensor actual, Tensor expected, string what, double atol = 1e-5)
    {
        if (actual is null) throw new Mismatch($"{what}: got null, expected a tensor of shape {Shape(expected)}");
        if (!actual.shape.SequenceEqual(expected.shape))
            throw new Mismatch($"{what}: shape {Shape(actual)}, expected {Shape(expected)}");
        if (actual.dtype != expected.dtype)
            throw new Mismatch($"{what}: dtype {actual.dtype}, expected {expected.dtype}");
        using var scope = NewDisposeScope();
        var a = actual.detach().cpu().to(float64);
        var e = expected.detach().cpu().to(float64);
        var diff = (a - e).abs();
        var bad = diff.gt(atol);
        if (actual.numel() == 0 || !bad.any().item<bool>()) return;
        var flat = bad.flatten().nonzero()[0, 0].item<long>();
        var index = Unravel(flat, actual.shape);
        throw new Mismatch(
            $"{what}: max abs difference {diff.max().item<double>():G4} (tolerance {atol:G2}); first wrong element at [{string.Join(", ", index)}]: " +
            $"got {a.flatten()[flat].item<double>():G6}, expected {e.flatten()[flat].item<double>():G6}");
    }

    /// <summary>Checks two integer sequences element by element.</summary>
    public static void Sequences<T>(IReadOnlyList<T> actual, IReadOnlyList<T> expected, string what)
    {
        if (actual is null) throw new Mismatch($"{what}: got null, expected {expected.Count} items");
        if (actual.Count != expected.Count) throw new Mismatch($"{what}: {actual.Count} items, expected {expected.Count}");
        for (var i = 0; i < actual.Count; i++)
            if (!EqualityComparer<T>.Default.Equals(actual[i], expected[i]))
                throw new Mismatch($"{what}: first difference at index {i}: got {actual[i]}, expected {expected[i]}");
    }

    /// <summary>Checks a single value.</summary>
    public static void Values<T>(T actual, T expected, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(actual, expected)) throw new Mismatch($"{what}: got {actual}, expected {expected}");
    }

    private static string Shape(Tensor t) => "(" + string.Join(", ", t.shape) + ")";

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
