namespace LlmFromScratch.Exercises;

/// <summary>
/// Floating-point answers (a loss, a learning rate, an accuracy) compared within a tolerance, so that a learner who
/// sums in float32 where the library sums in float64 still passes, while a wrong formula does not.
/// </summary>
internal static class CompareNumbers
{
    /// <summary>
    /// Checks |actual − expected| ≤ atol + rtol·|expected|; NaN is only accepted where NaN is expected.
    /// </summary>
    public static void Close(double actual, double expected, string what, double rtol = 1e-5, double atol = 1e-8)
    {
        if (double.IsNaN(expected))
        {
            if (!double.IsNaN(actual)) throw new Mismatch($"{what}: got {actual:G6}, expected NaN");
            return;
        }
        if (double.IsNaN(actual) || Math.Abs(actual - expected) > atol + rtol * Math.Abs(expected))
            throw new Mismatch($"{what}: got {actual:G8}, expected {expected:G8} (difference {Math.Abs(actual - expected):G3})");
    }
}
