using TorchSharp;
using static TorchSharp.torch;

namespace Course.Cli.Bench;

/// <summary>
/// The machine's matrix-product ceiling in GFLOP/s for a dtype: large square products, 2·n³ FLOPs each, the fastest of
/// several (a ceiling is what the machine can do; a busy neighbour only slows single runs down).
/// </summary>
public static class MatmulCeiling
{
    public static double GigaFlops(ScalarType dtype, int n, Device device)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n, device: device).to(dtype);
        var b = randn(n, n, device: device).to(dtype);
        var seconds = Measure.BestSeconds(() =>
        {
            using var inner = NewDisposeScope();
            var c = a.matmul(b);
            if (device.type == DeviceType.CUDA) cuda.synchronize();
        }, warmup: 2, repeats: 5);
        return 2.0 * n * n * n / seconds / 1e9;
    }
}
