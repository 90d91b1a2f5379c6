namespace MLWorkbench.TextClassification;

/// <summary>A trained model that truncated texts to a token limit, and how many of its training texts it cut.</summary>
internal interface ITruncationReport
{
    /// <summary>Training texts longer than <see cref="MaxTokens"/>.</summary>
    int TruncatedTrainTexts { get; }

    /// <summary>The model's token limit.</summary>
    int MaxTokens { get; }
}
