using System.Buffers;
using System.CommandLine;
using System.Text.Json;
using KvsInference.Audio;
using KvsInference.Matroska;

namespace KvsInference.Worker.Commands;

/// <summary>
/// <c>inspect &lt;file|-&gt; [--summary]</c>: reads an MKV/WebM file (or standard input, e.g. a GetMedia body from curl)
/// with the streaming Matroska reader and prints its tracks, frames and KVS fragment metadata as JSON.
/// </summary>
internal static class InspectCommand
{
    /// <summary>Exit code for a stream that is not valid Matroska (partial results are still printed).</summary>
    public const int ExitFormatError = 1;

    /// <summary>Exit code for an input that cannot be opened or read.</summary>
    public const int ExitInputError = 2;

    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "An MKV/WebM file, or - for standard input." };
        var summary = new Option<bool>("--summary") { Description = "Print one JSON object with per-track frame and byte counts and the KVS fragments, instead of one JSON line per event." };
        var command = new Command("inspect", "Reads an MKV/WebM stream and prints its tracks, frames and KVS fragment metadata as JSON.");
        command.Arguments.Add(input);
        command.Options.Add(summary);
        // Synchronous on purpose: a short-lived process that reads one stream to its end gains nothing from the
        // thread pool, a PipeReader and async state machines, and would pay for them in start-up and JIT time.
        // Ctrl+C ends the process, which is all cancelling means here.
        command.SetAction(parseResult =>
        {
            string path = parseResult.GetValue(input)!;
            using Stream stdout = Console.OpenStandardOutput();
            Stream source;
            try
            {
                source = path == "-"
                    ? Console.OpenStandardInput()
                    // No FileStream buffer: the parser reads in 1 MiB pieces already.
                    : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"inspect: cannot open {path}: {e.Message}");
                return ExitInputError;
            }
            using (source)
            {
                return Run(source, stdout, parseResult.GetValue(summary));
            }
        });
        return command;
    }

    /// <summary>Reads <paramref name="input"/> to its end and writes the JSON to <paramref name="output"/>; returns the exit code.</summary>
    public static int Run(Stream input, Stream output, bool summary)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using var json = new Utf8JsonWriter(buffer);
        var parser = new MkvStreamParser(frameTiming: AudioFrameTiming.Instance);
        string? error = null;
        int exitCode = 0;
        SummaryHandler? summaryHandler = summary ? new SummaryHandler() : null;
        EventHandler? eventHandler = summary ? null : new EventHandler(json, buffer, output);
        try
        {
            if (summaryHandler is not null) parser.Parse(input, summaryHandler);
            else parser.Parse(input, eventHandler!);
        }
        catch (MkvFormatException e)
        {
            error = e.Message;
            exitCode = ExitFormatError;
        }
        catch (IOException e)
        {
            error = "Reading the input failed: " + e.Message;
            exitCode = ExitInputError;
        }

        if (summaryHandler is not null)
        {
            summaryHandler.Write(json, error);
            json.Flush();
            buffer.Write("\n"u8);
        }
        else
        {
            eventHandler!.Flush();
            if (error is not null)
            {
                json.WriteStartObject();
                json.WriteString("event", "error");
                json.WriteString("message", error);
                json.WriteEndObject();
                json.Flush();
                buffer.Write("\n"u8);
            }
        }
        output.Write(buffer.WrittenSpan);
        output.Flush();
        if (error is not null) Console.Error.WriteLine("inspect: " + error);
        return exitCode;
    }

    internal static string TypeName(MkvTrackType type) => type switch
    {
        MkvTrackType.Audio => "audio",
        MkvTrackType.Video => "video",
        MkvTrackType.Complex => "complex",
        MkvTrackType.Logo => "logo",
        MkvTrackType.Subtitle => "subtitle",
        MkvTrackType.Buttons => "buttons",
        MkvTrackType.Control => "control",
        MkvTrackType.Metadata => "metadata",
        _ => "unknown",
    };

    private static void WriteSeconds(Utf8JsonWriter json, string name, decimal? seconds)
    {
        if (seconds is { } s) json.WriteNumber(name, s);
        else json.WriteNull(name);
    }

    /// <summary>Counts frames and bytes per track and keeps one entry per KVS fragment.</summary>
    private sealed class SummaryHandler : IMkvHandler
    {
        private readonly List<TrackStats> _tracks = [];
        private readonly List<MkvFragmentMetadata> _fragments = [];
        private TrackStats? _last;

        public void OnTrack(MkvTrackInfo track) => Find(track.Number, track);

        public void OnFrame(in MkvFrame frame)
        {
            TrackStats? stats = _last;
            if (stats is null || stats.Number != frame.TrackNumber) stats = Find(frame.TrackNumber, frame.Track);
            stats.Frames++;
            stats.Bytes += frame.PayloadLength;
        }

        public void OnFragmentMetadata(MkvFragmentMetadata metadata)
        {
            // GetMedia sends a fragment's tags in two Tags elements; the second brings only MILLIS_BEHIND_NOW etc.
            if (_fragments.Count > 0 && _fragments[^1].FragmentNumber == metadata.FragmentNumber) _fragments[^1] = metadata;
            else _fragments.Add(metadata);
        }

        private TrackStats Find(ulong number, MkvTrackInfo? track)
        {
            foreach (TrackStats s in _tracks)
            {
                if (s.Number == number) return _last = s;
            }
            var stats = new TrackStats
            {
                Number = number,
                Type = track is null ? "unknown" : TypeName(track.Type),
                CodecId = track?.CodecId ?? "",
            };
            _tracks.Add(stats);
            return _last = stats;
        }

        public void Write(Utf8JsonWriter json, string? error)
        {
            json.WriteStartObject();
            json.WriteStartArray("tracks");
            foreach (TrackStats s in _tracks)
            {
                json.WriteStartObject();
                json.WriteNumber("number", s.Number);
                json.WriteString("type", s.Type);
                json.WriteString("codecId", s.CodecId);
                json.WriteNumber("frames", s.Frames);
                json.WriteNumber("bytes", s.Bytes);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("fragments");
            foreach (MkvFragmentMetadata f in _fragments)
            {
                json.WriteStartObject();
                json.WriteString("fragmentNumber", f.FragmentNumber);
                WriteSeconds(json, "serverTimestamp", f.ServerTimestampSeconds);
                WriteSeconds(json, "producerTimestamp", f.ProducerTimestampSeconds);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            if (error is null) json.WriteNull("error");
            else json.WriteString("error", error);
            json.WriteEndObject();
        }

        private sealed class TrackStats
        {
            public ulong Number;
            public string Type = "";
            public string CodecId = "";
            public long Frames;
            public long Bytes;
        }
    }

    /// <summary>Writes one JSON line per event, flushing to the output in 64 KiB pieces.</summary>
    private sealed class EventHandler(Utf8JsonWriter json, ArrayBufferWriter<byte> buffer, Stream output) : IMkvHandler
    {
        public void OnTrack(MkvTrackInfo track)
        {
            json.WriteStartObject();
            json.WriteString("event", "track");
            json.WriteNumber("number", track.Number);
            json.WriteString("type", TypeName(track.Type));
            json.WriteString("codecId", track.CodecId);
            json.WriteNumber("codecPrivateBytes", track.CodecPrivate?.Length ?? 0);
            if (track.Type == MkvTrackType.Audio)
            {
                json.WriteNumber("samplingFrequency", track.SamplingFrequency);
                json.WriteNumber("channels", track.Channels);
                if (track.BitDepth > 0) json.WriteNumber("bitDepth", track.BitDepth);
            }
            if (track.Type == MkvTrackType.Video)
            {
                json.WriteNumber("pixelWidth", track.PixelWidth);
                json.WriteNumber("pixelHeight", track.PixelHeight);
            }
            if (track.CodecDelayNs > 0) json.WriteNumber("codecDelayNs", track.CodecDelayNs);
            if (track.SeekPreRollNs > 0) json.WriteNumber("seekPreRollNs", track.SeekPreRollNs);
            if (track.DefaultDurationNs > 0) json.WriteNumber("defaultDurationNs", track.DefaultDurationNs);
            json.WriteEndObject();
            EndLine();
        }

        public void OnFrame(in MkvFrame frame)
        {
            json.WriteStartObject();
            json.WriteString("event", "frame");
            json.WriteNumber("track", frame.TrackNumber);
            json.WriteNumber("timestampMs", frame.TimestampNs / 1e6);
            if (frame.DurationNs >= 0) json.WriteNumber("durationMs", frame.DurationNs / 1e6);
            json.WriteBoolean("key", frame.IsKey);
            json.WriteNumber("size", frame.PayloadLength);
            if (frame.DiscardPaddingNs != 0) json.WriteNumber("discardPaddingNs", frame.DiscardPaddingNs);
            json.WriteEndObject();
            EndLine();
        }

        public void OnFragmentMetadata(MkvFragmentMetadata metadata)
        {
            json.WriteStartObject();
            json.WriteString("event", "fragment");
            json.WriteString("fragmentNumber", metadata.FragmentNumber);
            WriteSeconds(json, "serverTimestamp", metadata.ServerTimestampSeconds);
            WriteSeconds(json, "producerTimestamp", metadata.ProducerTimestampSeconds);
            if (metadata.MillisBehindNow is { } ms) json.WriteNumber("millisBehindNow", ms);
            if (metadata.ContinuationToken is { } token) json.WriteString("continuationToken", token);
            if (metadata.ErrorCode is { } code) json.WriteString("errorCode", code);
            if (metadata.ErrorId is { } id) json.WriteString("errorId", id);
            json.WriteEndObject();
            EndLine();
        }

        private void EndLine()
        {
            json.Flush();
            buffer.Write("\n"u8);
            json.Reset();
            if (buffer.WrittenCount >= 60 * 1024) Flush();
        }

        public void Flush()
        {
            output.Write(buffer.WrittenSpan);
            buffer.ResetWrittenCount();
        }
    }
}
