using LlmFromScratch.Runtime;
using LlmFromScratch.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Text;

/// <summary>Sections 2.7–2.8 use nn.Embedding directly (no library type); these pin the book's numbers and shapes.</summary>
public class TokenEmbeddingTests
{
    [Fact]
    public void Embedding6x3_UnderSeed123_HasTheBooksFirstRows()
    {
        Seed.Set(123);
        using var embedding = nn.Embedding(6, 3);

        var w = embedding.weight!.data<float>().ToArray();

        w.Take(3).Should().Equal([0.3374f, -0.1778f, -0.1690f], (a, b) => Math.Abs(a - b) < 5e-5f);
        w.Skip(3).Take(3).Should().Equal([0.9178f, 1.5810f, 1.3010f], (a, b) => Math.Abs(a - b) < 5e-5f);
    }

    [Fact]
    public void Lookup_OfIds2351_ReturnsThoseRows()
    {
        Seed.Set(123);
        using var embedding = nn.Embedding(6, 3);
        using var scope = torch.NewDisposeScope();

        var rows = embedding.call(torch.tensor(new long[] { 2, 3, 5, 1 }));

        rows.shape.Should().Equal(4, 3);
        rows[1].data<float>().ToArray().Should().Equal([-0.4015f, 0.9666f, -1.1481f], (a, b) => Math.Abs(a - b) < 5e-5f);
        torch.allclose(rows[3], embedding.weight![1], rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void TokenPlusPositionEmbeddings_OfABatch_Are8x4x256()
    {
        using var scope = torch.NewDisposeScope();
        var loader = DataLoader.CreateDataloaderV1(TestData.Text("the-verdict"), batchSize: 8, maxLength: 4, stride: 4, shuffle: false);
        var (inputs, _) = loader.First();
        using var tokenEmbedding = nn.Embedding(Gpt2Tokenizer.VocabSize, 256);
        using var positionEmbedding = nn.Embedding(4, 256);

        var tokens = tokenEmbedding.call(inputs);                     // (8, 4, 256)
        var positions = positionEmbedding.call(torch.arange(4L));     // (4, 256)
        var embedded = tokens + positions;                             // (8, 4, 256), positions broadcast over the batch

        tokens.shape.Should().Equal(8, 4, 256);
        positions.shape.Should().Equal(4, 256);
        embedded.shape.Should().Equal(8, 4, 256);
        torch.allclose(embedded[5, 2], tokens[5, 2] + positions[2]).Should().BeTrue();
    }
}
