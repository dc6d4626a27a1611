namespace LlmFromScratch.Training;

/// <summary>
/// What a run recorded, for plots: the book's three lists (train losses, validation losses, tokens seen at each
/// evaluation) plus the global step of each evaluation, and per step the batch loss and learning rate.
/// A checkpoint carries the history, so a resumed run returns the whole of it.
/// </summary>
public sealed class TrainingHistory
{
    private readonly List<double> _trainLosses = [];
    private readonly List<double> _valLosses = [];
    private readonly List<long> _tokensSeen = [];
    private readonly List<long> _evalSteps = [];
    private readonly List<double> _stepLosses = [];
    private readonly List<double> _learningRates = [];

    /// <summary>Mean training loss over <c>EvalIter</c> batches at each evaluation (the book's <c>train_losses</c>).</summary>
    public IReadOnlyList<double> TrainLosses => _trainLosses;

    /// <summary>Mean validation loss at each evaluation (the book's <c>val_losses</c>).</summary>
    public IReadOnlyList<double> ValLosses => _valLosses;

    /// <summary>Tokens seen at each evaluation (the book's <c>track_tokens_seen</c>).</summary>
    public IReadOnlyList<long> TokensSeen => _tokensSeen;

    /// <summary>0-based global step of each evaluation.</summary>
    public IReadOnlyList<long> EvalSteps => _evalSteps;

    /// <summary>Loss of the training batch at every step (with dropout active, as the optimizer saw it).</summary>
    public IReadOnlyList<double> StepLosses => _stepLosses;

    /// <summary>Learning rate used at every step (the book's <c>track_lrs</c> in appendix D).</summary>
    public IReadOnlyList<double> LearningRates => _learningRates;

    internal void AddEvaluation(long step, long tokensSeen, double trainLoss, double valLoss)
    {
        _evalSteps.Add(step);
        _tokensSeen.Add(tokensSeen);
        _trainLosses.Add(trainLoss);
        _valLosses.Add(valLoss);
    }

    internal void AddStepLosses(IEnumerable<double> losses) => _stepLosses.AddRange(losses);

    internal void AddLearningRate(double lr) => _learningRates.Add(lr);

    internal void Write(BinaryWriter writer)
    {
        WriteList(writer, _trainLosses, writer.Write);
        WriteList(writer, _valLosses, writer.Write);
        WriteList(writer, _tokensSeen, writer.Write);
        WriteList(writer, _evalSteps, writer.Write);
        WriteList(writer, _stepLosses, writer.Write);
        WriteList(writer, _learningRates, writer.Write);
    }

    internal static TrainingHistory Read(BinaryReader reader)
    {
        var history = new TrainingHistory();
        ReadList(reader, history._trainLosses, reader.ReadDouble);
        ReadList(reader, history._valLosses, reader.ReadDouble);
        ReadList(reader, history._tokensSeen, reader.ReadInt64);
        ReadList(reader, history._evalSteps, reader.ReadInt64);
        ReadList(reader, history._stepLosses, reader.ReadDouble);
        ReadList(reader, history._learningRates, reader.ReadDouble);
        return history;
    }

    private static void WriteList<T>(BinaryWriter writer, List<T> list, Action<T> write)
    {
        writer.Write(list.Count);
        foreach (var item in list) write(item);
    }

    private static void ReadList<T>(BinaryReader reader, List<T> list, Func<T> read)
    {
        var count = reader.ReadInt32();
        if (count < 0) throw new InvalidDataException($"negative list length {count} in checkpoint history");
        for (var i = 0; i < count; i++) list.Add(read());
    }
}
