using System.ComponentModel.DataAnnotations;

namespace KvsInference.Leases;

internal static class OptionsValidation
{
    /// <summary>Runs the DataAnnotations of <paramref name="options"/> plus <paramref name="extra"/> errors; throws one exception listing all.</summary>
    internal static void ValidateAll(object options, string name, IEnumerable<string>? extra = null)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        var errors = results.Select(r => r.ErrorMessage ?? "invalid value").Concat(extra ?? []).ToList();
        if (errors.Count > 0)
        {
            throw new ValidationException($"The {name} are invalid: {string.Join(" ", errors)}");
        }
    }
}
