using System.ComponentModel.DataAnnotations;
using KvsInference.Pipeline;
using KvsInference.Validation;

namespace KvsInference.Tests.Validation;

public sealed class OptionsValidatorTests
{
    private sealed class SampleOptions
    {
        [Range(1, 10)] public int Count { get; set; } = 5;
        [Required] public string? Name { get; set; } = "x";
    }

    [Fact]
    public void Validate_ValidOptions_DoesNotThrow() => OptionsValidator.Validate(new SampleOptions());

    [Fact]
    public void Validate_SeveralErrors_ListsEveryMemberAndRuleInOneMessage()
    {
        var options = new SampleOptions { Count = 11, Name = null };

        var e = Assert.Throws<ValidationException>(() => OptionsValidator.Validate(options, [OptionsValidator.Error("Count", "Count must be even.")]));

        Assert.StartsWith("Invalid SampleOptions: ", e.Message);
        Assert.Contains("Count: The field Count must be between 1 and 10.", e.Message);
        Assert.Contains("Name: The Name field is required.", e.Message);
        Assert.Contains("Count: Count must be even.", e.Message);
        Assert.Equal(2, e.Message.Count(c => c == ';'));
    }

    [Fact]
    public void FindErrors_WithPath_PrefixesTheMember() =>
        Assert.Equal(["Part.Count: The field Count must be between 1 and 10."], OptionsValidator.FindErrors(new SampleOptions { Count = 0 }, path: "Part"));

    [Fact]
    public void FindConfigurationErrors_Section_NamesTheFullKeyOfEachError()
    {
        var errors = OptionsValidator.FindConfigurationErrors(new SampleOptions { Count = 0, Name = null }, "App:Part", [OptionsValidator.Error("Count", "Count must be even.")]);

        Assert.Equal(["App:Part:Count: The field Count must be between 1 and 10.", "App:Part:Name: The Name field is required.", "App:Part:Count: Count must be even."], errors);
    }

    [Fact]
    public void FindConfigurationErrors_NoSection_Refused() =>
        Assert.Throws<ArgumentException>(() => OptionsValidator.FindConfigurationErrors(new SampleOptions(), ""));

    [Fact]
    public void ThrowIfAny_NoError_DoesNotThrow() => OptionsValidator.ThrowIfAny("SampleOptions", []);

    [Fact]
    public void Validate_KvsInferenceOptions_NamesThePartOfEachError()
    {
        var options = new KvsInferenceOptions();
        options.Processing.MaxReconnectDelay = TimeSpan.FromMilliseconds(1);

        var e = Assert.Throws<ValidationException>(options.Validate);

        Assert.StartsWith("Invalid KvsInferenceOptions: ", e.Message);
        Assert.Contains("Discovery.StreamNames: Select streams with StreamNames, NamePrefix or TagFilters", e.Message);
        Assert.Contains("Processing.MaxReconnectDelay: ", e.Message);
    }
}
