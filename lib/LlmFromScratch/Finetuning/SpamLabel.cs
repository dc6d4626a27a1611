namespace LlmFromScratch.Finetuning;

/// <summary>The two classes of the chapter 6 spam data and their names in the data files.</summary>
public static class SpamLabel
{
    /// <summary>Class index of a legitimate message ("ham").</summary>
    public const int Ham = 0;

    /// <summary>Class index of spam.</summary>
    public const int Spam = 1;

    /// <summary>Number of classes (the size of the classification head's output).</summary>
    public const int Count = 2;

    /// <summary>Maps the file's label (<c>ham</c> or <c>spam</c>, lower case as in the data) to its class index.</summary>
    /// <exception cref="ArgumentException">Any other label.</exception>
    public static int Parse(string name) => name switch
    {
        "ham" => Ham,
        "spam" => Spam,
        _ => throw new ArgumentException($"label '{name}' is neither 'ham' nor 'spam'", nameof(name)),
    };

    /// <summary>The data-file name of a class index (<c>ham</c> or <c>spam</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Index outside 0..1.</exception>
    public static string Name(int label) => label switch
    {
        Ham => "ham",
        Spam => "spam",
        _ => throw new ArgumentOutOfRangeException(nameof(label), label, "spam labels are 0 (ham) or 1 (spam)"),
    };
}
