namespace MLWorkbench.Data;

/// <summary>What a column holds, as inferred from the training rows or set by the user.</summary>
public enum ColumnKind
{
    /// <summary>Numbers: used as they are, missing values replaced by the training mean plus an indicator.</summary>
    Numeric,
    /// <summary>Two values such as true/false or yes/no: encoded as 0 and 1.</summary>
    Boolean,
    /// <summary>
    /// A few distinct values: one-hot encoded; many distinct short values: each replaced by its training rows' shrunk mean
    /// label (class shares for classifiers) and its count (target encoding, out of fold for the training rows themselves).
    /// </summary>
    Categorical,
    /// <summary>Dates and times: split into year, month, day, day of week and hour.</summary>
    DateTime,
    /// <summary>Free text of several words: hashed bag of words.</summary>
    Text,
    /// <summary>Left out: identifiers, constants, columns with no values, or the user's choice.</summary>
    Ignored,
    /// <summary>
    /// The path of an image file (PNG, JPEG or BMP): the input of an image-classification model bundle, never inferred
    /// for tabular columns.
    /// </summary>
    ImagePath,
}
