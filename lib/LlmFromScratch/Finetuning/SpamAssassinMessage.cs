using System.Text.RegularExpressions;

namespace LlmFromScratch.Finetuning;

/// <summary>One e-mail of the SpamAssassin public corpus, split into subject and body.</summary>
/// <param name="Group">The corpus folder it came from (<c>easy-ham-1</c>, <c>easy-ham-2</c>, <c>hard-ham-1</c>, <c>spam-1</c>, <c>spam-2</c>).</param>
/// <param name="Id">Message id within its group (e.g. <c>00001</c>).</param>
/// <param name="Subject">The unfolded <c>Subject:</c> header value (MIME encoded words left as they are), or empty.</param>
/// <param name="Body">Everything after the header block, trimmed (MIME parts and HTML left as they are).</param>
public sealed partial record SpamAssassinMessage(string Group, string Id, string Subject, string Body)
{
    /// <summary><see cref="SpamLabel.Spam"/> for the <c>spam-*</c> groups, <see cref="SpamLabel.Ham"/> for <c>*ham*</c>.</summary>
    public int Label => LabelOfGroup(Group);

    /// <summary>The classifier's input: subject and body on separate lines (just the body when there is no subject).</summary>
    public string Text => Subject.Length == 0 ? Body : Subject + "\n" + Body;

    /// <summary>The message as a classification example.</summary>
    public LabeledText ToLabeledText() => new(Text, Label);

    /// <summary>Splits a raw RFC 822 message: headers end at the first empty line; the Subject header may be folded.</summary>
    public static SpamAssassinMessage FromRaw(string group, string id, string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var split = HeaderEnd().Match(raw);
        var headers = split.Success ? raw[..split.Index] : raw;
        var body = split.Success ? raw[(split.Index + split.Length)..] : "";
        var subject = SubjectHeader().Match(headers) is { Success: true } m
            ? Folding().Replace(m.Groups[1].Value, " ").Trim()
            : "";
        _ = LabelOfGroup(group);
        return new SpamAssassinMessage(group, id, subject, body.Trim());
    }

    /// <summary>The class index of a corpus group name.</summary>
    /// <exception cref="ArgumentException">A group name with neither <c>spam</c> nor <c>ham</c> in it.</exception>
    public static int LabelOfGroup(string group) =>
        group.StartsWith("spam", StringComparison.Ordinal) ? SpamLabel.Spam
        : group.Contains("ham", StringComparison.Ordinal) ? SpamLabel.Ham
        : throw new ArgumentException($"corpus group '{group}' is neither a spam-* nor a *ham* folder", nameof(group));

    [GeneratedRegex(@"\r?\n\r?\n")]
    private static partial Regex HeaderEnd();

    // A header's value continues on following lines that start with a space or tab (RFC 5322 folding).
    [GeneratedRegex(@"^Subject:[ \t]*(.*(?:\r?\n[ \t].*)*)", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex SubjectHeader();

    [GeneratedRegex(@"\r?\n[ \t]+")]
    private static partial Regex Folding();
}
