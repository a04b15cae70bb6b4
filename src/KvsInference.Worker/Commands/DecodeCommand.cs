using System.CommandLine;
using KvsInference.Audio;
using KvsInference.Matroska;
using Microsoft.Extensions.Logging;

namespace KvsInference.Worker.Commands;

/// <summary>
/// <c>decode &lt;file|-&gt; -o out.wav [--rate 48000|16000] [--track N] [--mono]</c>: decodes one audio track of an
/// MKV/WebM stream (Opus, AAC, PCM) to a 16-bit WAV file with the exact length of the original.
/// </summary>
/// <remarks>
/// Exit codes: 0 decoded; 1 internal error (a bug: reported in one line, never for bad input); 2 bad input or usage
/// (not valid Matroska, unreadable input, a track header that cannot be decoded, a bad option); 3 no audio track
/// that can be decoded (for example only Vorbis).
/// </remarks>
internal static class DecodeCommand
{
    public const int ExitInternalError = 1;
    public const int ExitBadInput = 2;
    public const int ExitNoTrack = 3;

    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "An MKV/WebM file, or - for standard input." };
        var output = new Option<string>("--output", "-o") { Description = "The WAV file to write.", Required = true };
        var rate = new Option<int>("--rate") { Description = "Output sample rate: 48000 or 16000 (the model's).", DefaultValueFactory = _ => 48000 };
        rate.AcceptOnlyFromAmong("48000", "16000");
        var track = new Option<ulong?>("--track") { Description = "The track number to decode (default: the first audio track that can be decoded)." };
        var mono = new Option<bool>("--mono") { Description = "Downmix to one channel." };
        var command = new Command("decode", "Decodes an audio track of an MKV/WebM stream to a 16-bit WAV file.");
        command.Arguments.Add(input);
        command.Options.Add(output);
        command.Options.Add(rate);
        command.Options.Add(track);
        command.Options.Add(mono);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string path = parseResult.GetValue(input)!;
            Stream source;
            try
            {
                source = path == "-" ? Console.OpenStandardInput() : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"decode: cannot open {path}: {e.Message}");
                return ExitBadInput;
            }
            await using (source)
            {
                return await RunAsync(source, parseResult.GetValue(output)!, parseResult.GetValue(rate), parseResult.GetValue(track), parseResult.GetValue(mono), Console.Error, cancellationToken);
            }
        });
        return command;
    }

    /// <summary>Decodes <paramref name="input"/> into <paramref name="wavPath"/>; returns the exit code and reports to <paramref name="log"/>.</summary>
    public static async Task<int> RunAsync(Stream input, string wavPath, int sampleRate, ulong? trackNumber, bool mono, TextWriter log, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var factory = new AudioDecoderFactory(loggerFactory.CreateLogger<AudioDecoderFactory>());
        var options = new AudioTrackOptions { OutputSampleRate = sampleRate, Mono = mono };
        using var reader = new MkvAudioTrackReader(factory, options, (rate, channels) => WavWriter.Create(wavPath, rate, channels), trackNumber,
            problem => log.WriteLine($"decode: {problem.Message}"));
        var exit = 0;
        try
        {
            try
            {
                await reader.ReadAsync(input, cancellationToken);
            }
            finally
            {
                reader.Complete();
            }
        }
        catch (MkvFormatException e)
        {
            log.WriteLine($"decode: {e.Message} (audio before this point was written)");
            exit = ExitBadInput;
        }
        catch (IOException e)
        {
            log.WriteLine($"decode: reading the input or writing {wavPath} failed: {e.Message}");
            exit = ExitBadInput;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Anything else is a bug in this program, not a fault of the input: one line, and its own exit code.
            log.WriteLine($"decode: internal error ({e.GetType().Name}): {e.Message}");
            return ExitInternalError;
        }
        if (reader.TrackNumber == 0)
        {
            log.WriteLine(trackNumber is { } n ? $"decode: track {n} is not a decodable audio track." : "decode: no decodable audio track.");
            // A track skipped for an invalid header is bad input; one skipped for its codec is "no track".
            return exit != 0 ? exit : reader.InvalidTracks > 0 ? ExitBadInput : ExitNoTrack;
        }
        string decoderName = reader.Decoder?.DecoderName ?? "no decoder for its last header";
        log.WriteLine($"decode: track {reader.TrackNumber} ({decoderName}) -> {wavPath}: {sampleRate} Hz, {reader.OutputChannels} ch, {reader.Frames} frames, {reader.FramesFailed} packets concealed");
        return exit;
    }
}
