namespace LlmFromScratch.Exercises;

/// <summary>The result of one exercise check: passed, or exactly what differs.</summary>
/// <param name="Id">Exercise id, e.g. "3.2".</param>
/// <param name="Title">What the exercise asks for.</param>
/// <param name="Status">"pass", "fail" (the code ran but is wrong or not written yet) or "error" (the check itself could not run the code).</param>
/// <param name="Message">What differs (shape, dtype, max abs difference, first wrong index) and a hint; empty on pass.</param>
public sealed record CheckOutcome(string Id, string Title, string Status, string Message)
{
    public bool Passed => Status == "pass";
}
