using LlmFromScratch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Exercises;

/// <summary>
/// Appendix D (adding bells and whistles to the training loop): the warm-up + cosine learning-rate schedule and
/// global-norm gradient clipping, checked against <c>LlmFromScratch.Training</c> on fresh random settings and
/// gradients, and a question about the schedule's shape.
/// </summary>
public static class AppendixDExercises
{
    public static IEnumerable<Exercise> All =>
    [
        new("D.1", "the learning rate at step s: linear warm-up from initialLr to peakLr, then cosine decay to minLr, held there after totalSteps",
            "below warmupSteps: initialLr + step · (peakLr − initialLr) / warmupSteps; after: progress = min(1, (step − warmupSteps) / (totalSteps − warmupSteps)), lr = minLr + (peakLr − minLr) · 0.5 · (1 + cos(π · progress))",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var settings = new List<(double Peak, int Total, int Warmup, double Initial, double Min)>
                {
                    (1e-3, 135, 27, 1e-4, 1e-5),   // 15 epochs of 9 batches, 20 % warm-up
                    (0.01, 50, 0, 3e-5, 1e-6),      // no warm-up: the cosine starts at once
                    (5e-4, 10, 9, 0, 0),
                };
                for (var i = 0; i < 3; i++)
                {
                    var total = random.Next(2, 2000);
                    var peak = Math.Pow(10, -1 - 4 * random.NextDouble());
                    settings.Add((peak, total, random.Next(0, total), peak * random.NextDouble(), peak * random.NextDouble() * 0.5));
                }
                foreach (var (peak, total, warmup, initial, min) in settings)
                {
                    var schedule = new LearningRateSchedule(peak, total, warmup, initial, min);
                    var steps = new long[] { 0, 1, warmup - 1, warmup, warmup + 1, (warmup + total) / 2, total - 1, total, total + 7, random.Next(0, total) }
                        .Where(s => s >= 0).Distinct();
                    foreach (var step in steps)
                    {
                        var got = Convert.ToDouble(Learner.Call<object>(answer, (int)step, peak, total, warmup, initial, min));
                        CompareNumbers.Close(got, schedule.At(step),
                            $"lr at step {step} (peakLr {peak:G3}, totalSteps {total}, warmupSteps {warmup}, initialLr {initial:G3}, minLr {min:G3})",
                            rtol: 1e-9, atol: 1e-15);
                    }
                }
            }),
        new("D.2", "gradient clipping by global norm: scale every gradient by maxNorm / (norm + 1e-6) when the norm of all of them together exceeds maxNorm",
            "the global norm is the square root of the sum of every gradient's squared entries (over all tensors); scale only when it is above maxNorm, never scale up",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(long[][] Shapes, double Scale, double MaxNorm, string What)>
                {
                    ([[3, 4], [4]], 10, 1.0, "gradients far above the limit"),
                    ([[3, 4], [4]], 0.01, 1.0, "gradients below the limit (unchanged)"),
                    ([[2, 2], [2]], 0, 1.0, "all-zero gradients (unchanged, no division by zero)"),
                    ([[5]], 3, 0.5, "a single gradient"),
                };
                for (var i = 0; i < 3; i++)
                {
                    var shapes = Enumerable.Range(0, random.Next(1, 5))
                        .Select(_ => Enumerable.Range(0, random.Next(1, 4)).Select(_ => (long)random.Next(1, 9)).ToArray()).ToArray();
                    cases.Add((shapes, random.NextDouble() * 3, 0.1 + random.NextDouble() * 2, "random gradients"));
                }
                foreach (var (shapes, scale, maxNorm, what) in cases)
                {
                    using var scope = NewDisposeScope();
                    var grads = shapes.Select(s => randn(s) * scale).ToArray();
                    var expected = ReferenceClip(grads, maxNorm);
                    var got = Learner.Call<Tensor[]>(answer, grads.Select(g => g.clone()).ToArray(), maxNorm);
                    var shown = $"{what}, shapes {string.Join(" ", shapes.Select(s => "(" + string.Join(", ", s) + ")"))}, maxNorm {maxNorm:0.###}";
                    if (got is null || got.Length != expected.Length)
                        throw new Mismatch($"{shown}: got {got?.Length.ToString() ?? "null"} tensors, expected {expected.Length}, one per gradient");
                    for (var g = 0; g < got.Length; g++)
                        ReferenceChecks.Tensors(got[g], expected[g], $"{shown}: gradient {g}");
                }
            }),
        new("D.3", "with peakLr 1e-3, initialLr 1e-4, minLr 1e-5, 135 steps and 27 warm-up steps: the first step after the warm-up whose learning rate is below half the peak",
            "progress = (step − 27) / 108; the cosine term 0.5 · (1 + cos(π · progress)) is one half at progress 0.5, where minLr still keeps the rate just above half the peak",
            answer =>
            {
                var curve = new LearningRateSchedule(1e-3, 135, 27, 1e-4, 1e-5).Curve();
                var expected = Array.FindIndex(curve, 27, lr => lr < 1e-3 / 2);
                ReferenceChecks.Count(Learner.Call<object>(answer), expected, "first step after the warm-up below half the peak",
                    (expected - 1, "at that step the cosine term is exactly ½, but minLr keeps the rate just above half the peak"),
                    (expected - 27, "that counts from the end of the warm-up; the answer is the step number, counted from 0"));
            }),
    ];

    // The library clips parameters' gradients in place: give each gradient a parameter whose grad it becomes.
    private static Tensor[] ReferenceClip(Tensor[] grads, double maxNorm)
    {
        var parameters = grads.Select(g => new Parameter(zeros_like(g))).ToArray();
        var loss = parameters.Zip(grads).Select(p => (p.First * p.Second).sum()).Aggregate((a, b) => a + b);   // d loss / d p = g
        loss.backward();
        GradientClipping.ClipGradNorm(parameters, maxNorm)?.Dispose();
        return parameters.Select(p => p.grad!.detach().clone()).ToArray();
    }
}
