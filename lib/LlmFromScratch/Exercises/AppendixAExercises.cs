using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Exercises;

/// <summary>Appendix A (TorchSharp for C# developers): softmax, autograd, counting parameters.</summary>
public static class AppendixAExercises
{
    public static IEnumerable<Exercise> All =>
    [
        new("A.1", "softmax over the last dimension, from exp and sum",
            "subtract the row maximum before exp (numerical stability), then divide by the row sum (keepdim: true)",
            answer =>
            {
                // The last case has values in the hundreds: exp overflows float32 unless each row's maximum is subtracted first.
                foreach (var (shape, scale, offset) in new (long[], double, double)[] { ([4], 10, 0), ([3, 5], 10, 0), ([2, 3, 7], 10, 0), ([2, 6], 100, 200) })
                {
                    using var scope = NewDisposeScope();
                    var x = randn(shape) * scale + offset;
                    var what = $"softmax of a {string.Join("x", shape)} input" + (scale > 10 ? " with values in the hundreds" : "");
                    ReferenceChecks.Tensors(Learner.Call<Tensor>(answer, x.clone()), softmax(x, -1), what);
                }
            }),
        new("A.2", "gradients of (w·x + b − y)² with respect to w and b, using autograd",
            "make w and b with requires_grad: true, compute the loss, call backward(), read w.grad and b.grad",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                for (var i = 0; i < 5; i++)
                {
                    double x = random.NextDouble() * 4 - 2, y = random.NextDouble() * 4 - 2, w = random.NextDouble() * 2 - 1, b = random.NextDouble() * 2 - 1;
                    var (dw, db) = Learner.Call<(double, double)>(answer, x, y, w, b);
                    var residual = w * x + b - y;
                    Compare.Values(Math.Round(dw, 6), Math.Round(2 * residual * x, 6), $"dLoss/dw at x={x:0.###}, y={y:0.###}, w={w:0.###}, b={b:0.###}");
                    Compare.Values(Math.Round(db, 6), Math.Round(2 * residual, 6), "dLoss/db");
                }
            }),
        new("A.3", "the number of trainable parameters of the appendix's NeuralNetwork(50 inputs, 3 outputs)",
            "each Linear(in, out) has in·out weights and out biases; the network is 50→30→20→3",
            answer =>
            {
                using var net = nn.Sequential(nn.Linear(50, 30), nn.ReLU(), nn.Linear(30, 20), nn.ReLU(), nn.Linear(20, 3));
                var expected = net.parameters().Sum(p => p.numel());
                var biases = net.named_parameters().Where(p => p.name.EndsWith("bias")).Sum(p => p.parameter.numel());
                ReferenceChecks.Count(Learner.Call<object>(answer), expected, "parameter count",
                    (expected - biases, "each Linear also has one bias per output"));
            }),
    ];
}
