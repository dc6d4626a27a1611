using LlmFromScratch.Model;
using LlmFromScratch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Cli.Bench;

/// <summary>
/// Runs the course's <see cref="Trainer"/> for many steps and compares resident memory and live tensors after a
/// warm-up with the end: a step that leaks shows up as growth.
/// </summary>
public static class MemoryBench
{
    public sealed record Result(int Steps, int MeasuredFrom, double RssStartMb, double RssEndMb, long LiveTensorsStart,
        long LiveTensorsEnd, double TokensPerSecond)
    {
        public double RssGrowthMb => RssEndMb - RssStartMb;
        public long LiveTensorGrowth => LiveTensorsEnd - LiveTensorsStart;
    }

    public static Result Run(BenchShape shape, Device device, int steps, int measureFrom)
    {
        manual_seed(123);
        using var model = new GptModel(shape.Config);
        model.to(device);
        using var optimizer = TrainingBench.MakeOptimizer("InPlaceAdamW", model);
        var batches = Enumerable.Range(0, 4).Select(_ =>
        {
            var inputs = randint(0, shape.Config.VocabSize, [shape.Batch, shape.Context], device: device).DetachFromDisposeScope();
            var targets = randint(0, shape.Config.VocabSize, [shape.Batch, shape.Context], device: device).DetachFromDisposeScope();
            return (inputs, targets);
        }).ToList();
        try
        {
            var settings = new TrainerSettings { NumEpochs = 1, EvalFreq = steps + 1, EvalIter = 1 };
            var trainer = new Trainer(model, optimizer, _ => Enumerable.Range(0, steps).Select(i => batches[i % batches.Count]),
                [], settings);
            double rssStart = 0, rssEnd = 0, tokensPerSecond = 0;
            long liveStart = 0, liveEnd = 0;
            trainer.Progress += (_, p) =>
            {
                if (p.Kind != TrainingProgressKind.Step) return;
                if (p.GlobalStep == measureFrom)
                {
                    rssStart = Measure.ResidentBytes() / 1e6;
                    liveStart = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                }
                if (p.GlobalStep == steps - 1)   // global steps count from 0
                {
                    rssEnd = Measure.ResidentBytes() / 1e6;
                    liveEnd = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                    tokensPerSecond = p.TokensPerSecond;
                }
            };
            trainer.Train();
            return new Result(steps, measureFrom, rssStart, rssEnd, liveStart, liveEnd, tokensPerSecond);
        }
        finally
        {
            foreach (var (inputs, targets) in batches) { inputs.Dispose(); targets.Dispose(); }
        }
    }
}
