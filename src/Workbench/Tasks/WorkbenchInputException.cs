namespace MLWorkbench.Tasks;

/// <summary>
/// The user's input (a data file, a suite, an option) is wrong. The message is one sentence that names
/// the file, line, column or value; command-line front ends print it and exit with code 2.
/// </summary>
public sealed class WorkbenchInputException : Exception
{
    /// <summary>Creates the exception with a message for the user.</summary>
    public WorkbenchInputException(string message) : base(message) { }

    /// <summary>Creates the exception with a message for the user and the underlying cause.</summary>
    public WorkbenchInputException(string message, Exception inner) : base(message, inner) { }
}
