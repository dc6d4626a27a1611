using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Training;

/// <summary>
/// Token windows for trainer tests: a stream in which each token is mostly followed by a fixed successor (the same
/// table for every seed, so corpora with different seeds are train and validation text of one "language"), cut into (inputs, targets) windows of <c>length</c> tokens. Batches are sliced afresh on
/// every enumeration, like a real loader, so the trainer must free them; a shuffled epoch's order depends only on
/// (seed, epoch).
/// </summary>
public sealed class TinyCorpus : IDisposable
{
    private readonly Tensor _inputs;   // (windows, length)
    private readonly Tensor _targets;  // (windows, length)

    public TinyCorpus(int vocabSize = 16, int windows = 24, int length = 8, long seed = 7)
    {
        using var scope = NewDisposeScope();
        using var language = new Generator(1234);
        var successor = randperm(vocabSize, generator: language);                   // token -> usual next token
        using var generator = new Generator((ulong)seed);
        var noise = randint(0, vocabSize, [windows * length + 1], generator: generator);
        var coin = rand([windows * length + 1], generator: generator);
        var stream = new long[windows * length + 1];
        var successors = successor.data<long>().ToArray();
        var noises = noise.data<long>().ToArray();
        var coins = coin.data<float>().ToArray();
        for (var i = 1; i < stream.Length; i++)
            stream[i] = coins[i] < 0.8f ? successors[stream[i - 1]] : noises[i];
        var all = tensor(stream);
        _inputs = all.narrow(0, 0, windows * length).reshape(windows, length).MoveToOuterDisposeScope();
        _targets = all.narrow(0, 1, windows * length).reshape(windows, length).MoveToOuterDisposeScope();
        Windows = windows;
        Length = length;
    }

    public int Windows { get; }

    public int Length { get; }

    /// <summary>The windows as a dataset of (input, target) pairs of shape (length), for <c>LlmFromScratch.Text.DataLoader</c>.</summary>
    public IReadOnlyList<(Tensor Input, Tensor Target)> Items =>
        _items ??= Enumerable.Range(0, Windows).Select(i => (_inputs[i].DetachFromDisposeScope(), _targets[i].DetachFromDisposeScope())).ToList();
    private List<(Tensor Input, Tensor Target)>? _items;

    /// <summary>Batches in window order (the last one may be smaller).</summary>
    public IEnumerable<(Tensor inputs, Tensor targets)> InOrder(int batchSize)
    {
        for (var start = 0; start < Windows; start += batchSize)
        {
            var size = Math.Min(batchSize, Windows - start);
            yield return (_inputs.narrow(0, start, size).clone(), _targets.narrow(0, start, size).clone());
        }
    }

    /// <summary>Batches of one epoch in an order drawn from (seed, epoch) only; a partial last batch is dropped.</summary>
    public IEnumerable<(Tensor inputs, Tensor targets)> Shuffled(int batchSize, long seed, int epoch)
    {
        long[] order;
        using (var generator = new Generator((ulong)(seed * 1000 + epoch)))
        using (var permutation = randperm(Windows, generator: generator))
            order = permutation.data<long>().ToArray();
        for (var start = 0; start + batchSize <= Windows; start += batchSize)
        {
            using var rows = tensor(order[start..(start + batchSize)]);
            yield return (_inputs.index_select(0, rows), _targets.index_select(0, rows));
        }
    }

    public void Dispose()
    {
        _items?.ForEach(item => { item.Input.Dispose(); item.Target.Dispose(); });
        _inputs.Dispose();
        _targets.Dispose();
    }
}
