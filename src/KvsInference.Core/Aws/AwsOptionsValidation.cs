using System.ComponentModel.DataAnnotations;

namespace KvsInference.Aws;

/// <summary>Validates option objects with their DataAnnotations and reports every error at once.</summary>
internal static class AwsOptionsValidation
{
    /// <summary>Throws one <see cref="ValidationException"/> listing every invalid member of <paramref name="options"/> and its nested options.</summary>
    public static void Validate(object options, params object?[] nested)
    {
        var errors = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true);
        foreach (var n in nested)
        {
            if (n is not null) Validator.TryValidateObject(n, new ValidationContext(n), errors, validateAllProperties: true);
        }
        if (errors.Count > 0)
        {
            throw new ValidationException($"{options.GetType().Name} is invalid: " + string.Join("; ", errors.Select(e => e.ErrorMessage)));
        }
    }
}
