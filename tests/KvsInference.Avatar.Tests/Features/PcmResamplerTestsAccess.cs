using KvsInference.Avatar.Features;

namespace KvsInference.Tests.Features;

/// <summary>Test helper: 16 kHz -> 48 kHz with the production resampler.</summary>
internal static class PcmResamplerTestsAccess
{
    public static short[] Upsample3(short[] pcm16k) => PcmResampler.For(16000, 48000).Resample(pcm16k);
}
