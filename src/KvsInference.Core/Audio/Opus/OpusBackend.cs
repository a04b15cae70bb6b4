namespace KvsInference.Audio.Opus;

/// <summary>Which Opus decoder implementation to use.</summary>
public enum OpusBackend
{
    /// <summary>Native libopus when libopus.so.0 loads, otherwise Concentus.</summary>
    Auto,
    /// <summary>Native libopus only; creating a decoder fails when it cannot be loaded.</summary>
    Native,
    /// <summary>Concentus (managed) only, decoding at 48 kHz.</summary>
    Managed,
}
