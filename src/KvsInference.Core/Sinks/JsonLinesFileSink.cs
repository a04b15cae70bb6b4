using System.Text.Json;

namespace KvsInference.Sinks;

/// <summary>
/// Appends each record as one JSON line to a file and flushes (to disk by default) before <see cref="WriteAsync"/> completes,
/// so a checkpoint taken after it never runs ahead of the file. Safe for concurrent callers.
/// </summary>
public sealed class JsonLinesFileSink : IRecordSink, IAsyncDisposable
{
    private readonly FileStream _file;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly bool _flushToDisk;

    /// <summary>Opens (creating if needed) the file for appending.</summary>
    /// <param name="path">The file path; its folder is created if missing.</param>
    /// <param name="flushToDisk">Whether each write is flushed to the disk (fsync), not only to the operating system.</param>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public JsonLinesFileSink(string path, bool flushToDisk = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024, useAsync: true);
        _flushToDisk = flushToDisk;
    }

    /// <summary>Gets the full path of the file.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public async Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        // Serialize first so a bad record leaves no partial batch in the file.
        var lines = new List<byte[]>(records.Count);
        foreach (var record in records)
        {
            if (record is null) throw new RecordSinkException("A record of the batch is null.");
            lines.Add(InferenceRecordJson.Serialize(record));
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var line in lines)
            {
                await _file.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                _file.WriteByte((byte)'\n');
            }
            await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (_flushToDisk) _file.Flush(flushToDisk: true);
        }
        catch (IOException e)
        {
            throw new RecordSinkException($"Writing {records.Count} records to {Path} failed: {e.Message}", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _file.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
