using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Attention;

/// <summary>The book's chapter 3 example: "Your journey starts with one step" as six 3-d embeddings.</summary>
internal static class BookInputs
{
    public static Tensor YourJourneyStartsWithOneStep() => tensor(new float[,]
    {
        { 0.43f, 0.15f, 0.89f }, // Your
        { 0.55f, 0.87f, 0.66f }, // journey
        { 0.57f, 0.85f, 0.64f }, // starts
        { 0.22f, 0.58f, 0.33f }, // with
        { 0.77f, 0.25f, 0.10f }, // one
        { 0.05f, 0.80f, 0.55f }, // step
    });

    /// <summary>The book's batch: the six embeddings twice, shape (2, 6, 3).</summary>
    public static Tensor Batch()
    {
        using var inputs = YourJourneyStartsWithOneStep();
        return stack([inputs, inputs], dim: 0);
    }

    public static float[] Floats(Tensor t) => t.detach().cpu().to(ScalarType.Float32).data<float>().ToArray();

    /// <summary>Comparer for values the book prints with four decimals.</summary>
    public static bool FourDecimals(float actual, float expected) => Math.Abs(actual - expected) <= 1e-4f;
}
