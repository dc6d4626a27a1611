using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// Replacing a child module in place, what Python does with <c>setattr(model, name, new_module)</c>: the book's
/// classification head (<c>model.out_head = Linear(768, 2)</c>) and LoRA's <c>replace_linear_with_lora</c> need it.
/// </summary>
/// <remarks>
/// TorchSharp has no <c>setattr</c>: a module calls its children through C# fields, and lists them in its registry
/// (or, for <see cref="Sequential"/>, its own list). Both must change, or the module would list one child and call
/// another. A field can only take the replacement if its declared type allows it: declare replaceable children as
/// <c>Module&lt;Tensor, Tensor&gt;</c>, not <c>Linear</c>.
/// </remarks>
public static class ModuleSurgery
{
    private static readonly FieldInfo _registry =
        typeof(nn.Module).GetField("_internal_submodules", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingFieldException("TorchSharp's Module no longer has _internal_submodules; ModuleSurgery needs updating.");

    private static readonly FieldInfo _sequentialModules =
        typeof(Sequential).GetField("_modules", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingFieldException("TorchSharp's Sequential no longer has _modules; ModuleSurgery needs updating.");

    /// <summary>
    /// Replaces the direct child <paramref name="name"/> of <paramref name="parent"/> by <paramref name="replacement"/>,
    /// keeping its name and position (so state-dict key order is unchanged). Works for custom modules (their fields),
    /// <see cref="Sequential"/>, <c>ModuleList&lt;T&gt;</c> and <c>ModuleDict&lt;T&gt;</c>.
    /// </summary>
    /// <returns>The child that was replaced (not disposed: it may live on inside the replacement, as with LoRA).</returns>
    /// <exception cref="ArgumentException">
    /// No child has that name (the message lists the children), or a field or container holding it is declared with a type
    /// the replacement is not (the message names the field and says how to declare it).
    /// </exception>
    public static nn.Module ReplaceChild(nn.Module parent, string name, nn.Module<Tensor, Tensor> replacement)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(replacement);
        var children = parent.named_children().ToList();
        var old = children.FirstOrDefault(c => c.name == name).module
            ?? throw new ArgumentException(
                $"{parent.GetType().Name} has no child '{name}'; its children are: {string.Join(", ", children.Select(c => c.name))}", nameof(name));

        switch (parent)
        {
            case Sequential:
                var list = (System.Collections.IList)_sequentialModules.GetValue(parent)!;
                list[list.IndexOf(old)] = replacement;
                break;
            case var _ when IsGeneric(parent, typeof(ModuleList<>), out var itemType):
                CheckAssignable(itemType, replacement, $"{parent.GetType().Name} item {name}");
                parent.GetType().GetProperty("Item", [typeof(int)])!.SetValue(parent, replacement, [int.Parse(name)]);
                break;
            case var _ when IsGeneric(parent, typeof(ModuleDict<>), out var valueType):
                CheckAssignable(valueType, replacement, $"{parent.GetType().Name} entry {name}");
                parent.GetType().GetProperty("Item", [typeof(string)])!.SetValue(parent, replacement, [name]);
                break;
            default:
                foreach (var field in FieldsHolding(parent, old))
                {
                    CheckAssignable(field.FieldType, replacement, $"field '{field.Name}' of {parent.GetType().Name}");
                    field.SetValue(parent, replacement);
                }
                break;
        }

        var registry = (TorchSharp.Utils.OrderedDict<string, nn.Module>)_registry.GetValue(parent)!;
        if (registry.ContainsKey(name)) registry[name] = replacement;   // the indexer keeps the entry's position

        if (!ReferenceEquals(parent.named_children().First(c => c.name == name).module, replacement))
            throw new NotSupportedException($"could not replace child '{name}' of {parent.GetType().Name}: it keeps its children somewhere ModuleSurgery does not know.");
        return old;
    }

    private static IEnumerable<FieldInfo> FieldsHolding(object parent, object child)
    {
        for (var type = parent.GetType(); type is not null && type != typeof(nn.Module); type = type.BaseType)
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                if (ReferenceEquals(field.GetValue(parent), child)) yield return field;
    }

    private static bool IsGeneric(object parent, Type definition, out Type argument)
    {
        for (var type = parent.GetType(); type is not null; type = type.BaseType)
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == definition)
            {
                argument = type.GetGenericArguments()[0];
                return true;
            }
        }
        argument = typeof(object);
        return false;
    }

    private static void CheckAssignable(Type declared, object replacement, string where)
    {
        if (!declared.IsInstanceOfType(replacement))
            throw new ArgumentException(
                $"{where} is declared as {declared.Name}, which cannot hold a {replacement.GetType().Name}; " +
                "declare replaceable children as Module<Tensor, Tensor>.", nameof(replacement));
    }
}
