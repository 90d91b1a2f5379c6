namespace MLWorkbench.Data;

/// <summary>
/// Labelled data of any task family (a feature matrix, images, texts, sentence pairs): what the comparison runner and
/// the search need to score a model.
/// </summary>
internal interface ILabelledData
{
    /// <summary>Number of rows (examples).</summary>
    int Rows { get; }

    /// <summary>One label per row: a value (regression, similarity) or a class index.</summary>
    float[] Labels { get; }

    /// <summary>Class names by index for classification; null otherwise.</summary>
    IReadOnlyList<string>? ClassNames { get; }
}
