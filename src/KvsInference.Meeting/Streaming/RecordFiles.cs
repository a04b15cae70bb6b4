using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using KvsInference.Sinks;

namespace KvsInference.Meeting.Streaming;

/// <summary>
/// Reads inference records from a JSON-lines file, the shape <see cref="JsonLinesFileSink"/> writes: the whole file, or
/// followed as a running worker appends to it (as <c>tail -f</c> does).
/// </summary>
public static class RecordFiles
{
    // A record is a few KB; a "line" this long is not one, and buffering it without bound would exhaust memory.
    private const int MaxLineBytes = 1 << 20;

    /// <summary>Reads the records of one stream, in file order.</summary>
    /// <param name="path">The file.</param>
    /// <param name="streamName">Only records of this stream are returned.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <returns>The records.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is not a valid record (the message names the line).</exception>
    public static async IAsyncEnumerable<InferenceRecord> ReadAsync(string path, string streamName,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(streamName);
        using var reader = new StreamReader(path);
        long lineNumber = 0;
        string? line;
        while ((line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)) is not null)
        {
            lineNumber++;
            if (Parse(Encoding.UTF8.GetBytes(line), path, lineNumber) is { } record && record.StreamName == streamName) yield return record;
        }
    }

    /// <summary>
    /// Follows a file that a worker appends to: the records of one stream written after the call, as they are written,
    /// until cancellation. A line is taken once its newline is written (the sink writes whole lines); a line the writer
    /// was in the middle of at the call is skipped; a file that shrinks (replaced or truncated) is read again from its start.
    /// </summary>
    /// <param name="path">The file; it may not exist yet.</param>
    /// <param name="streamName">Only records of this stream are returned.</param>
    /// <param name="pollInterval">How often to look for more at the end of the file; default 100 ms.</param>
    /// <param name="time">The clock of the polling.</param>
    /// <param name="cancellationToken">Stops following.</param>
    /// <returns>The records.</returns>
    /// <exception cref="InvalidDataException">A line is not a valid record (the message names the line).</exception>
    public static IAsyncEnumerable<InferenceRecord> FollowAsync(string path, string streamName, TimeSpan? pollInterval = null,
        TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(streamName);
        // Where "now" is in the file is taken at the call, not at the first MoveNext, which may come much later.
        long start = 0;
        bool midLine = false;
        if (File.Exists(path))
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            start = file.Length;
            if (start > 0)
            {
                file.Position = start - 1;
                midLine = file.ReadByte() != '\n';
            }
        }
        return FollowFromAsync(path, streamName, start, midLine, pollInterval ?? TimeSpan.FromMilliseconds(100), time ?? TimeProvider.System, cancellationToken);
    }

    private static async IAsyncEnumerable<InferenceRecord> FollowFromAsync(string path, string streamName, long position, bool skipToNewline,
        TimeSpan poll, TimeProvider time, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long lineNumber = -1; // unknown until the file is read from its start
        var pending = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var records = new List<InferenceRecord>();
            if (File.Exists(path))
            {
                await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous);
                if (file.Length < position)
                {
                    position = 0;
                    lineNumber = 0;
                    skipToNewline = false;
                    pending.SetLength(0);
                }
                file.Position = position;
                int read;
                while ((read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    position += read;
                    int from = 0;
                    for (int i = 0; i < read; i++)
                    {
                        if (buffer[i] != (byte)'\n') continue;
                        pending.Write(buffer, from, i - from);
                        from = i + 1;
                        if (skipToNewline)
                        {
                            // The end of the line that was being written when following began: not a whole record.
                            skipToNewline = false;
                            pending.SetLength(0);
                            continue;
                        }
                        if (lineNumber >= 0) lineNumber++;
                        var record = Parse(pending.GetBuffer().AsSpan(0, (int)pending.Length), path, lineNumber);
                        pending.SetLength(0);
                        if (record is not null && record.StreamName == streamName) records.Add(record);
                    }
                    pending.Write(buffer, from, read - from);
                    if (pending.Length > MaxLineBytes)
                    {
                        throw new InvalidDataException($"{path}: a line longer than {MaxLineBytes} bytes at byte {position - pending.Length}: not a records file");
                    }
                }
            }
            foreach (var record in records) yield return record;
            await Task.Delay(poll, time, cancellationToken).ConfigureAwait(false);
        }
    }

    // A line in the shape the sinks write (InferenceRecordJson), or null for a blank line.
    private static InferenceRecord? Parse(ReadOnlySpan<byte> line, string path, long lineNumber)
    {
        if (line.Trim(" \t\r"u8).IsEmpty) return null;
        string where = lineNumber > 0 ? $"{path} line {lineNumber}" : $"{path} (a line appended while following)";
        try
        {
            return InferenceRecordJson.Parse(line);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{where}: not an inference record: {e.Message}", e);
        }
    }
}
