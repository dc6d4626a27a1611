using System.Reflection;

namespace LlmFromScratch.Exercises;

/// <summary>Calls the learner's delegate with the arguments a check prepared, after checking its signature.</summary>
public static class Learner
{
    /// <summary>Invokes <paramref name="answer"/> and returns its result as <typeparamref name="TResult"/>.</summary>
    /// <exception cref="Mismatch">The delegate takes different parameters or returns another type; the message shows both signatures.</exception>
    public static TResult Call<TResult>(Delegate answer, params object?[] args)
    {
        var method = answer.Method;
        var parameters = method.GetParameters();
        var expected = $"({string.Join(", ", args.Select(a => a?.GetType().Name ?? "null"))}) -> {typeof(TResult).Name}";
        if (parameters.Length != args.Length
            || parameters.Zip(args).Any(p => p.Second is not null && !p.First.ParameterType.IsInstanceOfType(p.Second))
            || !typeof(TResult).IsAssignableFrom(method.ReturnType) && !(method.ReturnType == typeof(object)))
            throw new Mismatch($"expected a function {expected}, got ({string.Join(", ", parameters.Select(p => p.ParameterType.Name))}) -> {method.ReturnType.Name}");
        try
        {
            return (TResult)answer.DynamicInvoke(args)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}
