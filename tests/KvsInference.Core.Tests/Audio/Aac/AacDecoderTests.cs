using KvsInference.Audio;
using KvsInference.Audio.Aac;
using KvsInference.Matroska;
using KvsInference.TestSupport;
using Xunit.Abstractions;
using static KvsInference.Tests.Audio.Aac.AacTestMedia;

namespace KvsInference.Tests.Audio.Aac;

public class AacDecoderTests(ITestOutputHelper log)
{
    private static string Lc48Stereo => Make("lc48s.mka", "-ar", "48000", "-ac", "2", "-c:a", "aac", "-b:a", "128k", "-f", "matroska");

    private static string Lc24MonoAdts => Make("lc24m.aac", "-ar", "24000", "-ac", "1", "-c:a", "aac", "-b:a", "48k", "-f", "adts");

    [Fact]
    public void IsAvailable_DebianLibraries_True()
    {
        Assert.True(AacDecoder.IsAvailable, AacDecoder.UnavailableReason);
        Assert.Null(AacDecoder.UnavailableReason);
    }

    [Fact]
    public void Probe_MissingLibrary_NamesLibraryAndPackage()
    {
        string? error = AacDecoder.Probe("libavcodec.so.999", "libavutil.so.57", "libswresample.so.4");
        Assert.NotNull(error);
        Assert.Contains("AAC decoding needs libavcodec.so.59", error);
        Assert.Contains("libavcodec59", error);
        Assert.Contains("not found: libavcodec.so.999", error);
    }

    [Fact]
    public void Decode_LcMkaAt48kStereo_MatchesFfmpegSampleForSample()
    {
        var (track, packets) = ReadMkv(Lc48Stereo);
        Assert.True(AacDecoder.TryCreate(track, 48000, mono: false, out var decoder, out var error), error);
        using (decoder)
        {
            Assert.Equal(2, decoder!.OutputChannels);
            var ours = DecodeAll(decoder, packets);
            var reference = FfmpegDecode(Lc48Stereo, 48000, 2);
            Assert.Equal(packets.Count * 1024 * 2, ours.Length);
            log.WriteLine($"LC 48 kHz stereo, {packets.Count} packets: SNR vs ffmpeg {SnrDb(reference, ours):F1} dB");
            Assert.Equal(reference, ours);
        }
    }

    [Fact]
    public void Decode_LcMkaTo16kMono_MatchesFfmpegAndSampleCount()
    {
        var (track, packets) = ReadMkv(Lc48Stereo);
        Assert.True(AacDecoder.TryCreate(track, 16000, mono: true, out var decoder, out var error), error);
        using (decoder)
        {
            Assert.Equal(1, decoder!.OutputChannels);
            Assert.Equal(16000, decoder.OutputSampleRate);
            var ours = DecodeAll(decoder, packets);
            var reference = FfmpegDecode(Lc48Stereo, 16000, 1);
            double snr = SnrDb(reference, ours);
            log.WriteLine($"LC 48 kHz stereo -> 16 kHz mono: ours {ours.Length}, ffmpeg {reference.Length} samples, SNR {snr:F1} dB");
            // Every input sample yields a third of an output sample; Drain returns the resampler's tail.
            Assert.Equal((packets.Count * 1024 + 2) / 3, ours.Length);
            // Same libavcodec and libswresample with the same defaults as ffmpeg's command line: bit-exact.
            Assert.Equal(reference, ours);
        }
    }

    [Fact]
    public void Decode_AdtsPacketsWithAscFromHeader_MatchesFfmpeg()
    {
        var (asc, packets) = ReadAdts(Lc24MonoAdts);
        using var decoder = AacDecoder.Create(asc, 24000, mono: true);
        var ours = DecodeAll(decoder, packets);
        var reference = FfmpegDecode(Lc24MonoAdts, 24000, 1);
        double snr = SnrDb(reference, ours);
        log.WriteLine($"ADTS LC 24 kHz mono: {packets.Count} packets, SNR {snr:F1} dB");
        Assert.Equal(packets.Count * 1024, ours.Length);
        Assert.Equal(reference, ours);
    }

    private static string HeAacMka
    {
        get
        {
            // ffmpeg's encoder does LC only and no HE-AAC encoder is packaged in Debian (no libfdk-aac): mkvmerge
            // --aac-is-sbr marks a 24 kHz LC stream as SBR (CodecPrivate with the 0x2b7 sync extension, 48 kHz output),
            // so libavcodec runs its SBR decoder (QMF analysis/synthesis at the doubled rate) on frames without SBR data.
            string path = Path.Combine(Dir, "he-sbr.mka");
            lock (typeof(AacDecoderTests))
            {
                if (!File.Exists(path)) ProcessRunner.Run("mkvmerge", ["-q", "-o", path, "--disable-lacing", "--aac-is-sbr", "0:1", Lc24MonoAdts]);
            }
            return path;
        }
    }

    [Fact]
    public void Decode_HeAacSbrSignalled_2048SamplesAtDoubledRateMatchingFfmpeg()
    {
        var (track, packets) = ReadMkv(HeAacMka);
        Assert.True(AudioSpecificConfig.Parse(track.CodecPrivate).Sbr);
        Assert.True(AacDecoder.TryCreate(track, 48000, mono: false, out var decoder, out var error), error);
        using (decoder)
        {
            var output = new short[decoder!.MaxSamplesPerPacket * decoder.OutputChannels];
            Assert.Equal(2048, decoder.Decode(packets[0], output));
            decoder.Reset();
            var ours = DecodeAll(decoder, packets);
            var reference = FfmpegDecode(HeAacMka, 48000, 2);
            log.WriteLine($"HE-AAC (SBR signalled) {packets.Count} packets -> 48 kHz stereo: {ours.Length / 2} samples, SNR vs ffmpeg {SnrDb(reference, ours):F1} dB");
            Assert.Equal(packets.Count * 2048 * 2, ours.Length);
            Assert.Equal(reference, ours);
        }
    }

    [Fact]
    public void Decode_HeAacTo16kMono_MatchesFfmpeg()
    {
        var (track, packets) = ReadMkv(HeAacMka);
        Assert.True(AacDecoder.TryCreate(track, 16000, mono: true, out var decoder, out var error), error);
        using (decoder)
        {
            var ours = DecodeAll(decoder!, packets);
            var reference = FfmpegDecode(HeAacMka, 16000, 1);
            double snr = SnrDb(reference, ours);
            log.WriteLine($"HE-AAC -> 16 kHz mono: ours {ours.Length}, ffmpeg {reference.Length}, SNR {snr:F1} dB");
            Assert.Equal((int)Math.Round(packets.Count * 2048 / 3.0), ours.Length);
            Assert.Equal(reference, ours);
        }
    }

    [Fact]
    public void Decode_OldCodecIdLcSbrWithoutCodecPrivate_SameAsSignalledHeAac()
    {
        var (_, packets) = ReadAdts(Lc24MonoAdts);
        var track = new MkvTrackInfo { Number = 2, CodecId = "A_AAC/MPEG4/LC/SBR", SamplingFrequency = 24000, OutputSamplingFrequency = 48000, Channels = 1 };
        Assert.True(AacDecoder.TryCreate(track, 16000, mono: true, out var decoder, out var error), error);
        using (decoder)
        {
            var ours = DecodeAll(decoder!, packets);
            Assert.Equal(FfmpegDecode(HeAacMka, 16000, 1), ours);
        }
    }

    [Fact]
    public void Decode_PsSignalled_StereoAtDoubledRate()
    {
        // HE-AAC v2 by explicit signalling (object type 29) over an LC payload: no PS data, so libavcodec's PS
        // decoder spreads the mono core to both channels. Checks signalling, channel count, rate and length only.
        var (_, packets) = ReadAdts(Lc24MonoAdts);
        byte[] asc = [.. Convert.FromHexString("EB098800")];
        Assert.True(AudioSpecificConfig.Parse(asc).Ps);
        using var decoder = AacDecoder.Create(asc, 48000, mono: false);
        Assert.Equal(2, decoder.OutputChannels);
        var ours = DecodeAll(decoder, packets);
        Assert.Equal(packets.Count * 2048 * 2, ours.Length);
        var sbr = FfmpegDecode(HeAacMka, 48000, 2);
        double snr = SnrDb(sbr, ours);
        log.WriteLine($"PS-signalled vs SBR-only decode of the same payload: SNR {snr:F1} dB");
        Assert.True(snr > 20, $"SNR {snr:F1} dB");
    }

    [Fact]
    public void Decode_KvsLikeConcatenatedSegmentsH264AndAac_DecodesAacTrack()
    {
        string full = Path.Combine(Dir, "kvs-full.mkv");
        string kvs = Path.Combine(Dir, "kvs-like.mkv");
        lock (typeof(AacDecoderTests))
        {
            if (!File.Exists(kvs))
            {
                ProcessRunner.Ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-i", SpeechWav, "-shortest",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-ar", "48000", "-ac", "2", "-f", "matroska", full);
                string pattern = Path.Combine(Dir, "kvs-seg%03d.mkv");
                ProcessRunner.Ffmpeg("-i", full, "-map", "0", "-c", "copy", "-f", "segment", "-segment_time", "2", "-segment_format", "matroska", pattern);
                using var output = File.Create(kvs);
                int n = 0;
                foreach (var segment in Directory.GetFiles(Dir, "kvs-seg*.mkv").Order())
                {
                    // Each fragment as KVS sends it: an EBML header + Segment carrying AWS_KINESISVIDEO_* tags.
                    string tagged = segment + ".tagged.mkv";
                    ProcessRunner.Ffmpeg("-i", segment, "-map", "0", "-c", "copy",
                        "-metadata", $"AWS_KINESISVIDEO_FRAGMENT_NUMBER=9134385233318150{n:D3}",
                        "-metadata", $"AWS_KINESISVIDEO_PRODUCER_TIMESTAMP={1700000000 + 2 * n}.000", "-f", "matroska", tagged);
                    using (var input = File.OpenRead(tagged)) input.CopyTo(output);
                    n++;
                }
                Assert.True(n >= 3, $"{n} segments");
            }
        }
        var (track, packets) = ReadMkv(kvs);
        var (_, fullPackets) = ReadMkv(full);
        Assert.Equal(fullPackets.Count, packets.Count);
        Assert.True(AacDecoder.TryCreate(track, 16000, mono: true, out var decoder, out var error), error);
        using (decoder)
        {
            var ours = DecodeAll(decoder!, packets);
            var reference = FfmpegDecode(full, 16000, 1);
            log.WriteLine($"KVS-like H.264 + AAC, {packets.Count} AAC packets: SNR vs ffmpeg {SnrDb(reference, ours):F1} dB");
            Assert.Equal(reference, ours);
        }
    }

    [Fact]
    public void Decode_CorruptedRealPackets_ErrorOrOutputAndDecoderRecovers()
    {
        var (track, packets) = ReadMkv(Lc48Stereo);
        var reference = FfmpegDecode(Lc48Stereo, 48000, 2);
        Assert.True(AacDecoder.TryCreate(track, 48000, mono: false, out var decoder, out var error), error);
        using (decoder)
        {
            var output = new short[decoder!.MaxSamplesPerPacket * 2];
            var pcm = new List<short>();
            int errors = 0;
            int corruptUntil = packets.Count - 50;
            for (int i = 0; i < packets.Count; i++)
            {
                byte[] packet = packets[i];
                if (i % 7 == 3 && i < corruptUntil && packet.Length > 8)
                {
                    packet = (byte[])packet.Clone();
                    for (int j = 0; j < 8; j++) packet[j] ^= (byte)(0x5A + 31 * j);
                }
                int n;
                try
                {
                    n = decoder.Decode(packet, output);
                }
                catch (AudioDecodeException e)
                {
                    Assert.Contains("libavcodec could not decode an AAC packet", e.Message);
                    errors++;
                    n = decoder.Decode([], output); // conceal: silence of one frame
                }
                Assert.Equal(1024, n);
                pcm.AddRange(output.AsSpan(0, n * 2));
            }
            log.WriteLine($"{errors} of {corruptUntil / 7} corrupted packets rejected; the rest decoded to garbage without error");
            Assert.True(errors > 0);
            // After the last corrupt packet (and one frame of overlap) the output is the reference again, up to
            // perceptual noise substitution, whose random generator advanced differently over the rejected frames.
            int from = (corruptUntil + 2) * 1024 * 2;
            Assert.Equal(reference.Length, pcm.Count);
            double snr = SnrDb(reference.AsSpan(from), pcm.Skip(from).ToArray());
            log.WriteLine($"SNR vs ffmpeg after the last corrupt packet: {snr:F1} dB");
            Assert.True(snr > 40, $"SNR {snr:F1} dB");
        }
    }

    [Fact]
    public void Decode_ThousandRandomPackets_NeverCrashesAndStaysUsable()
    {
        var (track, packets) = ReadMkv(Lc48Stereo);
        Assert.True(AacDecoder.TryCreate(track, 16000, mono: true, out var decoder, out var error), error);
        using (decoder)
        {
            var output = new short[decoder!.MaxSamplesPerPacket];
            var random = new Random(20240611);
            int errors = 0, decoded = 0;
            for (int i = 0; i < 1000; i++)
            {
                var packet = new byte[random.Next(1, 1500)];
                random.NextBytes(packet);
                try
                {
                    int n = decoder.Decode(packet, output);
                    Assert.InRange(n, 0, decoder.MaxSamplesPerPacket);
                    decoded++;
                }
                catch (AudioDecodeException)
                {
                    errors++;
                }
            }
            log.WriteLine($"1000 random packets: {errors} errors, {decoded} decoded");
            using var fresh = AacDecoder.Create(track.CodecPrivate, 16000, mono: true);
            var expected = DecodeAll(fresh, packets.Take(100), drain: false);
            // Without a reset, real packets decode again without error (random bytes may have reconfigured the
            // decoder through an in-band program config element, so the output is not compared).
            foreach (var packet in packets.Take(20)) Assert.InRange(decoder.Decode(packet, output), 0, decoder.MaxSamplesPerPacket);
            // After a reset, exactly as a fresh decoder.
            decoder.Reset();
            Assert.Equal(expected, DecodeAll(decoder, packets.Take(100), drain: false));
        }
    }

    [Fact]
    public void Decode_EmptyPacketBeforeAnyFrame_ReturnsOneFrameOfSilence()
    {
        using var decoder = AacDecoder.Create([0x11, 0x90], 16000, mono: true);
        var output = new short[decoder.MaxSamplesPerPacket];
        output.AsSpan().Fill(7);
        int n = decoder.Decode([], output);
        Assert.Equal(1024 / 3, n);
        Assert.All(output[..n], s => Assert.Equal(0, s));
    }

    [Fact]
    public void Decode_OutputTooSmallOrDisposed_Throws()
    {
        var decoder = AacDecoder.Create([0x11, 0x90], 48000, mono: false);
        Assert.Throws<ArgumentException>(() => decoder.Decode([1, 2, 3], new short[100]));
        decoder.Dispose();
        decoder.Dispose();
        Assert.Throws<ObjectDisposedException>(() => decoder.Decode([1, 2, 3], new short[decoder.MaxSamplesPerPacket * 2]));
    }

    [Fact]
    public void TryCreate_BadTrack_FalseWithMessage()
    {
        var track = new MkvTrackInfo { Number = 4, CodecId = "A_AAC", CodecPrivate = [0x49, 0x90] };
        Assert.False(AacDecoder.TryCreate(track, 16000, mono: true, out var decoder, out var error));
        Assert.Null(decoder);
        Assert.Contains("HVXC", error);
        Assert.False(AacDecoder.TryCreate(new MkvTrackInfo { CodecId = "A_AAC", CodecPrivate = [0x11, 0x90] }, 100, true, out _, out error));
        Assert.Contains("outputSampleRate", error);
    }
}
