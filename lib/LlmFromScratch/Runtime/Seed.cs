namespace LlmFromScratch.Runtime;

/// <summary>Seeds libtorch's generator, the way the book's <c>torch.manual_seed(123)</c> does.</summary>
public static class Seed
{
    /// <summary>Seeds the CPU generator (and CUDA's, when present).</summary>
    public static void Set(long seed)
    {
        TorchSharp.torch.manual_seed(seed);
        if (TorchSharp.torch.cuda.is_available()) TorchSharp.torch.cuda.manual_seed_all(seed);
    }
}
