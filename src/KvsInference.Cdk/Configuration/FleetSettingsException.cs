namespace KvsInference.Cdk.Configuration;

/// <summary>Thrown when the deployment parameters are invalid; lists every problem, one per line.</summary>
public sealed class FleetSettingsException : Exception
{
    /// <summary>Creates the exception from the list of problems found.</summary>
    /// <param name="errors">One message per problem, each naming the parameter.</param>
    public FleetSettingsException(IReadOnlyList<string> errors)
        : base("Invalid KvsInference deployment parameters:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", errors))
    {
        Errors = errors;
    }

    /// <summary>Gets the problems found, each naming the parameter (context key).</summary>
    /// <value>At least one message.</value>
    public IReadOnlyList<string> Errors { get; }
}
