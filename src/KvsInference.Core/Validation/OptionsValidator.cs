using System.ComponentModel.DataAnnotations;

namespace KvsInference.Validation;

/// <summary>
/// Validates option objects: their DataAnnotations (<see cref="RangeAttribute"/>, <see cref="RequiredAttribute"/>, ...)
/// plus the rules between members that attributes cannot express, and reports every error at once in one format:
/// <c>Invalid StreamProcessorOptions: ReconnectDelay: The field ReconnectDelay must be between ...; InitialPosition: ...</c>
/// (the options, then each member and the rule it breaks).
/// </summary>
/// <remarks>Every option class of KvsInference (Core, Avatar, LocalKvs, Meeting, Worker) validates through this one helper.</remarks>
public static class OptionsValidator
{
    /// <summary>Validates <paramref name="options"/> and throws one exception listing every error.</summary>
    /// <param name="options">The options object.</param>
    /// <param name="rules">Errors of the rules between members (name the member in <see cref="ValidationResult.MemberNames"/>), or null.</param>
    /// <exception cref="ValidationException">One or more values are invalid; the message names each member and rule.</exception>
    public static void Validate(object options, IEnumerable<ValidationResult>? rules = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfAny(options.GetType().Name, FindErrors(options, rules));
    }

    /// <summary>Lists the errors of <paramref name="options"/>, each as <c>Member: rule</c>.</summary>
    /// <param name="options">The options object.</param>
    /// <param name="rules">Errors of the rules between members, or null.</param>
    /// <param name="path">A prefix for the member names when these options are part of larger ones (e.g. <c>Processing</c>), or null.</param>
    /// <returns>The errors; empty when the options are valid.</returns>
    public static IReadOnlyList<string> FindErrors(object options, IEnumerable<ValidationResult>? rules = null, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Results(options, rules).Select(r => Format(r, path, '.')).ToList();
    }

    /// <summary>
    /// Lists the errors of <paramref name="options"/> bound from the configuration section <paramref name="section"/>,
    /// each named by its full configuration key: <c>KVSI:Processing:WindowDuration: The field ...</c>.
    /// </summary>
    /// <param name="options">The options object.</param>
    /// <param name="section">The configuration section the options were bound from, e.g. <c>KVSI:Processing</c>.</param>
    /// <param name="rules">Errors of the rules between members, or null.</param>
    /// <returns>The errors; empty when the options are valid.</returns>
    public static IReadOnlyList<string> FindConfigurationErrors(object options, string section, IEnumerable<ValidationResult>? rules = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(section);
        return Results(options, rules).Select(r => Format(r, section, ':')).ToList();
    }

    /// <summary>Throws one exception listing <paramref name="errors"/>, if there is any.</summary>
    /// <param name="optionsName">The name of the options, e.g. <c>KvsInferenceOptions</c>.</param>
    /// <param name="errors">The errors, each as <see cref="FindErrors"/> formats them.</param>
    /// <exception cref="ValidationException">There is an error.</exception>
    public static void ThrowIfAny(string optionsName, IEnumerable<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var list = errors as IReadOnlyCollection<string> ?? errors.ToList();
        if (list.Count > 0) throw new ValidationException($"Invalid {optionsName}: {string.Join("; ", list)}");
    }

    /// <summary>An error of a rule between members, naming the member it is reported on.</summary>
    /// <param name="member">The member, e.g. <c>nameof(MaxReconnectDelay)</c>.</param>
    /// <param name="message">The rule broken, e.g. "must not be less than ReconnectDelay (5 s)".</param>
    /// <returns>The error.</returns>
    public static ValidationResult Error(string member, string message) => new(message, [member]);

    private static List<ValidationResult> Results(object options, IEnumerable<ValidationResult>? rules)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        if (rules is not null) results.AddRange(rules);
        return results;
    }

    private static string Format(ValidationResult result, string? path, char separator)
    {
        var message = result.ErrorMessage ?? "invalid value";
        var member = result.MemberNames.FirstOrDefault();
        if (member is null) return path is null ? message : $"{path}: {message}";
        return $"{(path is null ? member : path + separator + member)}: {message}";
    }
}
