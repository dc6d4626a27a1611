namespace Course.Cli.Notebooks;

/// <summary>One line of the protocol between `course run` and the kernel process it starts for each notebook.</summary>
/// <param name="Kind">"start" (a cell began), "end" (a cell finished), or "done" (the notebook finished).</param>
public sealed record CellReport(string Kind, int Cell, int Cells, string Status = "", double Seconds = 0, string Message = "", string Preview = "")
{
    public const string Prefix = "@@course ";
}
