using System.Diagnostics;
using KvsInference.Audio;
using KvsInference.Avatar.Features;
using KvsInference.Avatar.Model;
using KvsInference.Avatar.Serving;
using KvsInference.Matroska;

namespace KvsInference.Avatar.Rendering;

/// <summary>What <see cref="TalkingFaceVideo.WriteMp4Async"/> produced.</summary>
/// <param name="Frames">Video frames rendered.</param>
/// <param name="AudioSeconds">Duration of the audio.</param>
/// <param name="Elapsed">Wall time of the whole run.</param>
public sealed record TalkingFaceVideoResult(int Frames, double AudioSeconds, TimeSpan Elapsed);

/// <summary>
/// The local path end to end: audio file -> 16 kHz PCM -> viseme model -> face frames -> ffmpeg (H.264 +
/// AAC of the original audio) -> MP4. WAV is read in process; any other file is read as MKV/WebM and its first
/// decodable audio track (Opus, AAC, PCM) decoded in process by <see cref="MkvAudioTrackReader"/>. ffmpeg only encodes.
/// </summary>
public static class TalkingFaceVideo
{
    /// <summary>Renders <paramref name="inputPath"/> as a talking-face MP4.</summary>
    /// <param name="inputPath">A WAV file (by its .wav extension), or a WebM/MKV file with an Opus, AAC or PCM track.</param>
    /// <param name="outputPath">The MP4 to write (overwritten).</param>
    /// <param name="model">The model; null for <see cref="VisemeModel.LoadDefault"/> at the renderer's frame rate.</param>
    /// <param name="rendererOptions">Frame size and rate; null for 640x480 at 60 fps.</param>
    /// <param name="cancellationToken">Cancels the run (ffmpeg is killed).</param>
    /// <returns>Counts and timing.</returns>
    /// <exception cref="FileNotFoundException">The input does not exist.</exception>
    /// <exception cref="InvalidDataException">The audio cannot be read (not WAV/MKV, no decodable audio track) or has an unsupported rate.</exception>
    /// <exception cref="InvalidOperationException">ffmpeg is missing or failed; the message holds its error output.</exception>
    public static async Task<TalkingFaceVideoResult> WriteMp4Async(string inputPath, string outputPath, VisemeModel? model = null,
        FaceRendererOptions? rendererOptions = null, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(inputPath)) throw new FileNotFoundException($"audio file {inputPath} not found", inputPath);
        rendererOptions ??= new FaceRendererOptions();
        model ??= VisemeModel.LoadDefault(new VisemeModelOptions { FrameRate = rendererOptions.FrameRate });
        if (Math.Abs(model.FrameRate - rendererOptions.FrameRate) > 1e-9)
        {
            throw new ArgumentException($"the model runs at {model.FrameRate} fps but the renderer at {rendererOptions.FrameRate} fps", nameof(model));
        }
        var clock = Stopwatch.StartNew();
        var pcm = await ReadPcm16kAsync(inputPath, cancellationToken).ConfigureAwait(false);
        var frames = model.ProcessClip(pcm);

        using var renderer = new FaceRenderer(rendererOptions);
        var psi = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgba", "-s", $"{renderer.Width}x{renderer.Height}",
            "-r", rendererOptions.FrameRate.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", "-",
            "-i", inputPath, "-map", "0:v:0", "-map", "1:a:0",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", outputPath,
        })
        {
            psi.ArgumentList.Add(a);
        }
        using var ffmpeg = StartProcess(psi);
        var stderr = ffmpeg.StandardError.ReadToEndAsync(cancellationToken);
        _ = ffmpeg.StandardOutput.ReadToEndAsync(cancellationToken);
        var buffer = new byte[renderer.FrameBytes];
        try
        {
            var stdin = ffmpeg.StandardInput.BaseStream;
            for (int k = 0; k < frames.Length; k++)
            {
                renderer.Render(frames[k], k, buffer);
                await stdin.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            stdin.Close();
            await ffmpeg.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            // ffmpeg closed its input early: it failed; its stderr says why.
            await ffmpeg.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw new InvalidOperationException($"ffmpeg stopped reading frames: {await stderr.ConfigureAwait(false)}", e);
        }
        catch (OperationCanceledException)
        {
            ffmpeg.Kill(entireProcessTree: true);
            throw;
        }
        if (ffmpeg.ExitCode != 0) throw new InvalidOperationException($"ffmpeg exited {ffmpeg.ExitCode}: {await stderr.ConfigureAwait(false)}");
        return new TalkingFaceVideoResult(frames.Length, (double)pcm.Length / FeatureConstants.SampleRate, clock.Elapsed);
    }

    private static async Task<short[]> ReadPcm16kAsync(string path, CancellationToken cancellationToken)
    {
        short[] samples;
        int rate;
        if (Path.GetExtension(path).Equals(".wav", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var wav = WavReader.Read(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false));
                (samples, rate) = (wav.ToMono(), wav.SampleRate);
            }
            catch (WavFormatException e)
            {
                throw new InvalidDataException($"{path}: {e.Message}", e);
            }
        }
        else
        {
            // MKV/WebM (Opus, AAC, PCM tracks): decoded in process to 16 kHz mono, as the worker decodes streams.
            try
            {
                (samples, rate) = await MkvAudioTrackReader.ReadAllAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (MkvFormatException e)
            {
                throw new InvalidDataException($"{path}: not a readable MKV/WebM file: {e.Message}", e);
            }
        }
        if (rate == FeatureConstants.SampleRate) return samples;
        if (!LocalVisemeInferenceClient.IsSupportedSampleRate(rate)) throw new InvalidDataException($"{path}: sample rate {rate} Hz cannot be resampled to 16000 Hz");
        return Resampler.ResampleAll(samples, rate, FeatureConstants.SampleRate);
    }

    private static Process StartProcess(ProcessStartInfo psi)
    {
        try
        {
            return Process.Start(psi) ?? throw new InvalidOperationException("could not start ffmpeg");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("ffmpeg is not installed (apt-get install ffmpeg)", e);
        }
    }
}
