using static TorchSharp.torch;

namespace Course.Cli.Bench;

/// <summary>One way of running the same training step, so each choice's effect can be measured against the others.</summary>
/// <param name="Key">Short name used in JSON keys.</param>
/// <param name="Label">What the table shows.</param>
/// <param name="UseSdpa">Fused scaled-dot-product attention (else the book's explicit attention).</param>
/// <param name="DisposeScopes">One dispose scope per step (else temporaries wait for the garbage collector).</param>
/// <param name="ComputeDtype">Dtype of the matrix products (weights, gradients, optimizer and loss stay float32).</param>
/// <param name="Optimizer">"AdamW" (TorchSharp's) or "InPlaceAdamW" (LlmFromScratch.Training).</param>
public sealed record TrainingVariant(string Key, string Label, bool UseSdpa, bool DisposeScopes, ScalarType ComputeDtype,
    string Optimizer)
{
    /// <summary>A straightforward loop: explicit attention, no dispose scopes, float32, TorchSharp's AdamW.</summary>
    public static TrainingVariant Baseline { get; } =
        new("baseline", "baseline (explicit attention, no scopes, AdamW)", UseSdpa: false, DisposeScopes: false, ScalarType.Float32, "AdamW");

    /// <summary>The course's float32 path: SDPA, a scope per step, the in-place AdamW.</summary>
    public static TrainingVariant Fp32 { get; } =
        new("fp32", "fp32 (SDPA, scope per step, InPlaceAdamW)", UseSdpa: true, DisposeScopes: true, ScalarType.Float32, "InPlaceAdamW");

    /// <summary>The course's mixed-precision path: as <see cref="Fp32"/> with bfloat16 matrix products.</summary>
    public static TrainingVariant Bf16 { get; } = Fp32 with { Key = "bf16", Label = "bf16 mixed precision (as fp32, bf16 products)", ComputeDtype = ScalarType.BFloat16 };

    /// <summary>Ablation: the course's fp32 path with the explicit attention, to isolate SDPA's effect.</summary>
    public static TrainingVariant Fp32ExplicitAttention { get; } = Fp32 with { Key = "fp32_explicit_attention", Label = "  fp32 but explicit attention", UseSdpa = false };

    /// <summary>Ablation: the course's fp32 path with TorchSharp's AdamW, to isolate the optimizer's effect.</summary>
    public static TrainingVariant Fp32StockAdamW { get; } = Fp32 with { Key = "fp32_stock_adamw", Label = "  fp32 but TorchSharp's AdamW", Optimizer = "AdamW" };


    /// <summary>Ablation: the course's fp32 path without dispose scopes.</summary>
    public static TrainingVariant Fp32NoScopes { get; } = Fp32 with { Key = "fp32_no_scopes", Label = "  fp32 but no dispose scopes", DisposeScopes = false };
}
