using LlmFromScratch.Exercises;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Exercises;

public class CompareTests
{
    [Fact]
    public void Tensors_Throws_WhenANumberIsNaN()
    {
        var act = () => Compare.Tensors(tensor(new[] { 1f, float.NaN }), tensor(new[] { 1f, 2f }), "values");

        act.Should().Throw<Mismatch>().Which.Message.Should().Contain("first wrong element at [1]: got NaN, expected 2");
    }

    [Fact]
    public void Tensors_Passes_WhenBothHaveTheSameInfinities()
    {
        var act = () => Compare.Tensors(tensor(new[] { 1f, float.NegativeInfinity }), tensor(new[] { 1f, float.NegativeInfinity }), "values");

        act.Should().NotThrow();
    }

    [Fact]
    public void Tensors_Throws_WhenAnInfinityIsAFiniteNumberThere()
    {
        var act = () => Compare.Tensors(tensor(new[] { -1e9f, 0f }), tensor(new[] { float.NegativeInfinity, 0f }), "values");

        act.Should().Throw<Mismatch>().Which.Message.Should().Contain("first wrong element at [0]");
    }
}
