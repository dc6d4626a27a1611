using LlmFromScratch.Generation;
using LlmFromScratch.Model;
using LlmFromScratch.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Reliability;

/// <summary>
/// Everything a learner can type into the course's public entry points, wrong: each case ends in a defined result
/// or a clear exception of a documented type that names the argument — never an index error from inside libtorch.
/// </summary>
[Trait("Category", "Reliability")]
public class BadInputTests
{
    private static readonly Gpt2Tokenizer Tokenizer = new();

    private static GptModel TinyModel()
    {
        global::LlmFromScratch.Runtime.Seed.Set(123);
        var model = new GptModel(GptConfig.Tiny);
        model.eval();
        return model;
    }

    public static TheoryData<string> Texts => new()
    {
        "", " ", "\n\t", "Hello, world.", "안녕하세요, 세계!", "emoji 🙂🚀 and ZWJ 👩‍👩‍👧", "mixed 中文 العربية русский",
        "<|endoftext|>", "a\0b", new string('x', 5000), "\ud83d\ude00 surrogate pair",
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Gpt2Tokenizer_RoundTripsAnyText_Exactly(string text)
    {
        Tokenizer.Decode(Tokenizer.Encode(text)).Should().Be(text);
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void SimpleTokenizerV2_NeverThrows_OnAnyText(string text)
    {
        var vocab = new Vocabulary(TextSplitter.Split("Hello , world . the"), withSpecialTokens: true);
        var tokenizer = new SimpleTokenizerV2(vocab);

        var ids = tokenizer.Encode(text);

        ids.All(id => id >= 0 && id < vocab.Count).Should().BeTrue();
    }

    [Fact]
    public void SimpleTokenizerV1_NamesTheUnknownWord()
    {
        var tokenizer = new SimpleTokenizerV1(new Vocabulary(TextSplitter.Split("Hello , world .")));

        var act = () => tokenizer.Encode("Hello, 세계.");

        act.Should().Throw<ArgumentException>().WithMessage("*세계*");
    }

    [Theory]
    [InlineData("")]
    [InlineData("too short")]
    public void GptDatasetV1_Throws_WhenTheTextIsShorterThanOneWindow(string text)
    {
        var act = () => new GptDatasetV1(text, Tokenizer, maxLength: 8, stride: 1);

        act.Should().Throw<ArgumentException>().WithMessage("*token*");
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 1)]
    [InlineData(4, 0)]
    [InlineData(4, -3)]
    public void GptDatasetV1_Throws_ForNonPositiveSizes(int maxLength, int stride)
    {
        var act = () => new GptDatasetV1(Enumerable.Range(0, 100).ToArray(), maxLength, stride);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void GptModel_Throws_NamingBothLengths_WhenTheInputExceedsTheContext()
    {
        using var model = TinyModel();
        using var ids = zeros(1, GptConfig.Tiny.ContextLength + 1, dtype: ScalarType.Int64);

        var act = () => model.call(ids);

        act.Should().Throw<ArgumentException>().WithMessage($"*{GptConfig.Tiny.ContextLength + 1}*{GptConfig.Tiny.ContextLength}*");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Bool)]
    public void GptModel_GivesAClearError_ForIdsOfTheWrongDtype(ScalarType dtype)
    {
        using var model = TinyModel();
        using var ids = zeros(1, 4, dtype: dtype);

        var act = () => model.call(ids);

        act.Should().Throw<ArgumentException>().WithMessage("*int64*");
    }

    [Fact]
    public void GptModel_GivesAClearError_ForIdsOutsideTheVocabulary()
    {
        using var model = TinyModel();
        using var ids = tensor(new long[] { 1, GptConfig.Tiny.VocabSize }, dtype: ScalarType.Int64).reshape(1, 2);

        var act = () => model.call(ids);

        act.Should().Throw<ArgumentException>().WithMessage($"*{GptConfig.Tiny.VocabSize}*");
    }

    [Fact]
    public void GenerateTextSimple_CropsAPromptLongerThanTheContext_InsteadOfFailing()
    {
        using var model = TinyModel();
        using var prompt = randint(0, 100, [1, GptConfig.Tiny.ContextLength * 3], dtype: ScalarType.Int64);

        using var result = GenerateTextSimple.Generate(model, prompt, maxNewTokens: 3, contextSize: GptConfig.Tiny.ContextLength);

        result.shape.Should().Equal(1, GptConfig.Tiny.ContextLength * 3 + 3);
    }

    [Fact]
    public void Generate_CropsAPromptLongerThanTheContext_InsteadOfFailing()
    {
        using var model = TinyModel();
        using var prompt = randint(0, 100, [1, GptConfig.Tiny.ContextLength + 10], dtype: ScalarType.Int64);

        using var result = GenerateText.Generate(model, prompt, maxNewTokens: 2, contextSize: GptConfig.Tiny.ContextLength, temperature: 1.0, topK: 5);

        result.shape.Should().Equal(1, GptConfig.Tiny.ContextLength + 12);
    }

    [Fact]
    public void Generate_WithZeroNewTokens_ReturnsThePrompt()
    {
        using var model = TinyModel();
        using var prompt = tensor(new long[] { 1, 2, 3 }).reshape(1, 3);

        using var result = GenerateText.Generate(model, prompt, maxNewTokens: 0, contextSize: 32);

        result.data<long>().ToArray().Should().Equal(1, 2, 3);
    }

    [Fact]
    public void Generate_WithNegativeNewTokens_Throws()
    {
        using var model = TinyModel();
        using var prompt = tensor(new long[] { 1, 2, 3 }).reshape(1, 3);

        var act = () => GenerateText.Generate(model, prompt, maxNewTokens: -1, contextSize: 32);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxNewTokens");
    }

    [Fact]
    public void Generate_WithTemperatureZero_IsGreedy_AndNegativeTemperatureThrows()
    {
        using var model = TinyModel();
        using var prompt = tensor(new long[] { 5, 6, 7 }).reshape(1, 3);

        using var greedy = GenerateTextSimple.Generate(model, prompt, 5, 32);
        using var zero = GenerateText.Generate(model, prompt, 5, 32, temperature: 0.0);
        var negative = () => GenerateText.Generate(model, prompt, 5, 32, temperature: -0.5);

        zero.data<long>().ToArray().Should().Equal(greedy.data<long>().ToArray());
        negative.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("temperature");
    }

    [Fact]
    public void Generate_WithTopKLargerThanTheVocabulary_KeepsEveryToken()
    {
        using var model = TinyModel();
        using var prompt = tensor(new long[] { 5, 6, 7 }).reshape(1, 3);

        using var result = GenerateText.Generate(model, prompt, 3, 32, temperature: 1.0, topK: GptConfig.Tiny.VocabSize * 10);

        result.shape.Should().Equal(1, 6);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Generate_WithNonPositiveTopK_Throws(int topK)
    {
        using var model = TinyModel();
        using var prompt = tensor(new long[] { 5 }).reshape(1, 1);

        var act = () => GenerateText.Generate(model, prompt, 3, 32, temperature: 1.0, topK: topK);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("topK");
    }

    [Fact]
    public void Generate_GivesAClearError_ForAPromptOnAnotherDevice()
    {
        using var model = TinyModel();
        using var prompt = empty(1, 3, dtype: ScalarType.Int64, device: META);

        var act = () => GenerateText.Generate(model, prompt, 2, 32);

        act.Should().Throw<ArgumentException>().WithMessage("*device*");
    }
}
