using System.Text.RegularExpressions;
using LlmFromScratch.Exercises;
using LlmFromScratch.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Exercises;

public class Chapter02ExercisesTests
{
    // 2.1 — the regex split

    private static string[] Split(string text) =>
        Regex.Split(text, @"([,.:;?_!""()\']|--|\s)").Select(p => p.Trim()).Where(p => p.Length > 0).ToArray();

    [Fact]
    public void Split_Passes_WithTheBooksPatternAndFilter()
    {
        var outcome = Check.Evaluate("2.1", Split);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Split_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("2.1", (Func<string, string[]>)(_ => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("Regex.Split keeps what a capturing group matches");
    }

    [Fact]
    public void Split_ShowsTheFirstWrongToken_WithTheFirstRefinementsPattern()
    {
        var outcome = Check.Evaluate("2.1", (Func<string, string[]>)(text => TextSplitter.Split(text, TextSplitter.SimplePattern)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("tokens of 'Hello, world. Is this-- a test?': token 5 is 'this--', expected 'this'");
    }

    [Fact]
    public void Split_ShowsTheEmptyPiece_WhenWhitespaceIsNotDropped()
    {
        var outcome = Check.Evaluate("2.1", (Func<string, string[]>)(text => Regex.Split(text, TextSplitter.Pattern)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("token 2 is '', expected 'world'");
    }

    // 2.2 — the vocabulary

    private static Dictionary<string, int> BuildVocabulary(string[] tokens) =>
        tokens.Distinct().Order(StringComparer.Ordinal).Select((token, id) => (token, id)).ToDictionary(p => p.token, p => p.id);

    [Fact]
    public void Vocabulary_Passes_WhenSortedOrdinally()
    {
        var outcome = Check.Evaluate("2.2", BuildVocabulary);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Vocabulary_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("2.2", (Func<string[], Dictionary<string, int>>)(_ => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("code point by code point");
    }

    [Fact]
    public void Vocabulary_NamesTheTokenAndBothIds_WhenNumberedInOrderOfAppearance()
    {
        var outcome = Check.Evaluate("2.2", (Func<string[], Dictionary<string, int>>)(tokens =>
            tokens.Distinct().Select((token, id) => (token, id)).ToDictionary(p => p.token, p => p.id)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("'!' has id 6, expected 0");
    }

    [Fact]
    public void Vocabulary_NamesTheShiftedId_WhenDuplicatesAreNumbered()
    {
        var outcome = Check.Evaluate("2.2", (Func<string[], Dictionary<string, int>>)(tokens =>
        {
            var ids = new Dictionary<string, int>();
            foreach (var (token, id) in tokens.Order(StringComparer.Ordinal).Select((t, i) => (t, i))) ids[token] = id;
            return ids;
        }));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("'the' has id 8, expected 7");
    }

    // 2.3 — encoding with <|unk|>

    private static int[] Encode(string text, Vocabulary vocab) =>
        TextSplitter.Split(text).Select(token => vocab.TryGetValue(token, out var id) ? id : vocab[Vocabulary.Unknown]).ToArray();

    [Fact]
    public void Encode_Passes_WhenUnknownTokensGetTheUnknownId()
    {
        var outcome = Check.Evaluate("2.3", Encode);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Encode_Passes_ForTheLibrarysTokenizer()
    {
        Check.Evaluate("2.3", (Func<string, Vocabulary, int[]>)((text, vocab) => new SimpleTokenizerV2(vocab).Encode(text))).Status.Should().Be("pass");
    }

    [Fact]
    public void Encode_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("2.3", (Func<string, Vocabulary, int[]>)((_, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("gets the id of Vocabulary.Unknown");
    }

    [Fact]
    public void Encode_CountsTheIds_WhenUnknownTokensAreSkipped()
    {
        var outcome = Check.Evaluate("2.3", (Func<string, Vocabulary, int[]>)((text, vocab) =>
            TextSplitter.Split(text).Where(vocab.ContainsKey).Select(t => vocab[t]).ToArray()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("15 ids, expected 16, one per token of ['Hello', ',', 'do', 'you', …]");
    }

    [Fact]
    public void Encode_NamesTheUnknownToken_WhenItGetsIdZero()
    {
        var outcome = Check.Evaluate("2.3", (Func<string, Vocabulary, int[]>)((text, vocab) =>
            TextSplitter.Split(text).Select(t => vocab.TryGetValue(t, out var id) ? id : 0).ToArray()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("token 0 'Hello' got id 0, expected").And.Contain("it is not in the vocabulary, so it is <|unk|>");
    }

    [Fact]
    public void Encode_Reports_AVocabularyLookupThatThrows()
    {
        var outcome = Check.Evaluate("2.3", (Func<string, Vocabulary, int[]>)((text, vocab) => TextSplitter.Split(text).Select(t => vocab[t]).ToArray()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("your code threw KeyNotFoundException: 'Hello' is not in the vocabulary");
    }

    // 2.4 — the sliding window

    private static (int[][] Inputs, int[][] Targets) SlidingWindow(int[] tokenIds, int maxLength, int stride)
    {
        var inputs = new List<int[]>();
        var targets = new List<int[]>();
        for (var i = 0; i + maxLength < tokenIds.Length; i += stride)
        {
            inputs.Add(tokenIds[i..(i + maxLength)]);
            targets.Add(tokenIds[(i + 1)..(i + maxLength + 1)]);
        }
        return (inputs.ToArray(), targets.ToArray());
    }

    [Fact]
    public void SlidingWindow_Passes_ForTheBooksLoop()
    {
        var outcome = Check.Evaluate("2.4", SlidingWindow);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void SlidingWindow_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("2.4", (Func<int[], int, int, (int[][], int[][])>)((_, _, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("its last target must exist");
    }

    [Fact]
    public void SlidingWindow_ShowsTheWindow_WhenTargetsAreNotShifted()
    {
        var outcome = Check.Evaluate("2.4", (Func<int[], int, int, (int[][], int[][])>)((ids, maxLength, stride) =>
        {
            var (inputs, _) = SlidingWindow(ids, maxLength, stride);
            return (inputs, inputs);
        }));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("targets (5 token ids, maxLength 4, stride 1), window 0: first difference at index 0");
    }

    [Fact]
    public void SlidingWindow_CountsTheWindows_WhenTheLastOneIsDropped()
    {
        var outcome = Check.Evaluate("2.4", (Func<int[], int, int, (int[][], int[][])>)((ids, maxLength, stride) =>
            SlidingWindow(ids[..^1], maxLength, stride)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("inputs (5 token ids, maxLength 4, stride 1): 0 windows, expected 1");
    }

    // 2.5 — token + position embeddings

    private static Tensor InputEmbeddings(Tensor tokenIds, Embedding tokEmb, Embedding posEmb) =>
        tokEmb.call(tokenIds) + posEmb.call(arange(tokenIds.shape[1]));

    [Fact]
    public void InputEmbeddings_Pass_ForTokenPlusPositionLookups()
    {
        var outcome = Check.Evaluate("2.5", InputEmbeddings);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void InputEmbeddings_Pass_WithModuleParameters()
    {
        var outcome = Check.Evaluate("2.5", (Func<Tensor, nn.Module<Tensor, Tensor>, nn.Module<Tensor, Tensor>, Tensor>)((ids, tok, pos) =>
            tok.call(ids) + pos.call(arange(ids.shape[1]))));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void InputEmbeddings_Fail_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("2.5", (Func<Tensor, Embedding, Embedding, Tensor>)((_, _, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("positions 0 … t−1");
    }

    [Fact]
    public void InputEmbeddings_ReportTheDifference_WithoutPositions()
    {
        var outcome = Check.Evaluate("2.5", (Func<Tensor, Embedding, Embedding, Tensor>)((ids, tok, _) => tok.call(ids)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("input embeddings of (2, 4) ids").And.Contain("max abs difference");
    }

    [Fact]
    public void InputEmbeddings_ReportTheShape_WhenTheWholePositionTableIsAdded()
    {
        var outcome = Check.Evaluate("2.5", (Func<Tensor, Embedding, Embedding, Tensor>)((ids, tok, pos) => tok.call(ids) + pos.weight!));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("input embeddings of (2, 1) ids").And.Contain("shape (2, 4, 3), expected (2, 1, 3)");
    }

    // 2.6 — batches per epoch

    private static readonly int TokenCount = new Gpt2Tokenizer().Encode(TestData.Text("the-verdict")).Length;

    [Fact]
    public void BatchesPerEpoch_Pass_ForFullBatchesOfWindows()
    {
        var outcome = Check.Evaluate("2.6", (Func<int, int, int, int>)((batchSize, maxLength, stride) =>
            (TokenCount - maxLength + stride - 1) / stride / batchSize));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void BatchesPerEpoch_Fail_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("2.6", (Func<int, int, int, int>)((_, _, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("dropLast keeps only full batches");
    }

    [Fact]
    public void BatchesPerEpoch_ShowTheSettings_WhenEveryTokenIsCountedAsAStart()
    {
        var outcome = Check.Evaluate("2.6", (Func<int, int, int, int>)((batchSize, _, stride) => TokenCount / stride / batchSize));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain($"batches for batchSize 1, maxLength 4, stride 1 ({TokenCount} tokens, {TokenCount - 4} windows): got {TokenCount}, expected {TokenCount - 4}");
    }

    [Fact]
    public void BatchesPerEpoch_ShowTheSettings_WhenTheLastPartialBatchIsCounted()
    {
        var outcome = Check.Evaluate("2.6", (Func<int, int, int, int>)((batchSize, maxLength, stride) =>
        {
            var windows = (TokenCount - maxLength + stride - 1) / stride;
            return (windows + batchSize - 1) / batchSize;
        }));

        outcome.Status.Should().Be("fail");
        var windows = (TokenCount - 4 + 3) / 4;   // the first case, the notebook's loader: batchSize 8, maxLength 4, stride 4
        outcome.Message.Should().Contain($"batches for batchSize 8, maxLength 4, stride 4 ({TokenCount} tokens, {windows} windows): got {(windows + 7) / 8}, expected {windows / 8}");
    }
}
