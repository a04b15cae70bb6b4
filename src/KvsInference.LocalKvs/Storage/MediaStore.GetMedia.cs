using KvsInference.Kvs;
using KvsInference.Matroska;

namespace KvsInference.LocalKvs.Storage;

public sealed partial class MediaStore
{
    /// <summary>
    /// Starts a GetMedia read: checks the stream, the selector and the limits (before any byte is sent, so that errors
    /// are HTTP errors as in KVS) and fixes where the read starts.
    /// </summary>
    /// <param name="streamName">The name, or null.</param>
    /// <param name="streamArn">The ARN, or null.</param>
    /// <param name="selector">Where to start.</param>
    /// <returns>The read; write it with <see cref="GetMediaSession.WriteToAsync"/> and dispose it to free the connection.</returns>
    /// <exception cref="KvsServiceException">ResourceNotFoundException, InvalidArgumentException, ConnectionLimitExceededException (more than
    /// <see cref="MediaStoreOptions.GetMediaConnectionsPerStream"/> open), ClientLimitExceededException (more than
    /// <see cref="MediaStoreOptions.GetMediaCallsPerSecondPerStream"/> calls in a second).</exception>
    public GetMediaSession OpenGetMedia(string? streamName, string? streamArn, StartSelector selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        MediaStream stream = ResolveOrCreate(streamName, streamArn);
        lock (stream.Gate)
        {
            if (!stream.GetMediaCalls.TryEnter(Ticks(Time), Options.GetMediaCallsPerSecondPerStream))
            {
                throw KvsServiceException.ClientLimit($"More than {Options.GetMediaCallsPerSecondPerStream} GetMedia calls in one second on stream {stream.Description.StreamName}.");
            }
            if (stream.GetMediaConnections >= Options.GetMediaConnectionsPerStream)
            {
                throw KvsServiceException.ConnectionLimit($"The stream {stream.Description.StreamName} already has {stream.GetMediaConnections} GetMedia connections; the limit is {Options.GetMediaConnectionsPerStream}.");
            }
            var session = new GetMediaSession(this, stream);
            switch (selector.Type)
            {
                case KvsStartSelectorType.Now:
                    session.After = stream.Fragments.Count > 0 ? stream.Fragments[^1].FragmentNumber : null;
                    session.Tail = true;
                    break;
                case KvsStartSelectorType.Earliest:
                    break;
                case KvsStartSelectorType.FragmentNumber:
                    if (!FragmentNumber.IsValid(selector.AfterFragmentNumber))
                    {
                        throw KvsServiceException.InvalidArgument("StartSelector.AfterFragmentNumber must be a fragment number (decimal digits) for FRAGMENT_NUMBER.");
                    }
                    // "Start with the chunk after a specific fragment" (KVS StartSelector documentation).
                    session.After = selector.AfterFragmentNumber;
                    break;
                case KvsStartSelectorType.ContinuationToken:
                    if (!FragmentNumber.IsValid(selector.ContinuationToken))
                    {
                        throw KvsServiceException.InvalidArgument("StartSelector.ContinuationToken must be a token from AWS_KINESISVIDEO_CONTINUATION_TOKEN.");
                    }
                    session.After = selector.ContinuationToken;
                    break;
                case KvsStartSelectorType.ServerTimestamp:
                case KvsStartSelectorType.ProducerTimestamp:
                    if (selector.StartTimestamp is not { } start)
                    {
                        throw KvsServiceException.InvalidArgument($"StartSelector.StartTimestamp is required for {selector.Type}.");
                    }
                    bool producer = selector.Type == KvsStartSelectorType.ProducerTimestamp;
                    // Producer time: the fragment whose span holds the time, else the next one. Server time: the first
                    // fragment received at or after it (uploads faster than real time make server spans overlap).
                    // If none is kept yet, the next one to arrive.
                    StoredFragment? first = stream.Fragments.Find(f => producer ? f.ProducerTimestamp + f.Duration > start : f.ServerTimestamp >= start);
                    if (first is not null) session.From = first.FragmentNumber;
                    else session.After = stream.Fragments.Count > 0 ? stream.Fragments[^1].FragmentNumber : null;
                    break;
                default:
                    throw KvsServiceException.InvalidArgument($"Unknown KvsStartSelectorType {selector.Type}.");
            }
            stream.GetMediaConnections++;
            return session;
        }
    }

    /// <summary>
    /// Checks a GetMediaForFragmentList call: every fragment must be kept (else ResourceNotFoundException, as KVS).
    /// </summary>
    /// <param name="streamName">The name, or null.</param>
    /// <param name="streamArn">The ARN, or null.</param>
    /// <param name="fragmentNumbers">1 to 1000 fragment numbers.</param>
    /// <returns>The fragments in the order asked.</returns>
    /// <exception cref="KvsServiceException">ResourceNotFoundException, InvalidArgumentException, ClientLimitExceededException.</exception>
    public IReadOnlyList<StoredFragment> ResolveFragmentList(string? streamName, string? streamArn, IReadOnlyList<string> fragmentNumbers)
    {
        ArgumentNullException.ThrowIfNull(fragmentNumbers);
        if (fragmentNumbers.Count is 0 or > MediaStoreConstants.MaxFragmentsPerList)
        {
            throw KvsServiceException.InvalidArgument($"Fragments must hold 1 to {MediaStoreConstants.MaxFragmentsPerList} fragment numbers, not {fragmentNumbers.Count}.");
        }
        MediaStream stream = Resolve(streamName, streamArn);
        lock (stream.Gate)
        {
            CheckArchivedRate(stream);
            var result = new List<StoredFragment>(fragmentNumbers.Count);
            foreach (string number in fragmentNumbers)
            {
                if (!FragmentNumber.IsValid(number)) throw KvsServiceException.InvalidArgument($"'{number}' is not a fragment number.");
                int index = stream.LowerBound(number);
                if (index >= stream.Fragments.Count || stream.Fragments[index].FragmentNumber != number)
                {
                    throw KvsServiceException.NotFound($"Fragment {number} of stream {stream.Description.StreamName} does not exist (or is past retention).");
                }
                result.Add(stream.Fragments[index]);
            }
            return result;
        }
    }

    /// <summary>Writes fragments as GetMediaForFragmentList does: each as EBML header + Segment with the KVS fragment tags before its Cluster.</summary>
    /// <param name="streamName">The stream name.</param>
    /// <param name="fragments">From <see cref="ResolveFragmentList"/>.</param>
    /// <param name="output">The response body.</param>
    /// <param name="cancellationToken">Stops the writing.</param>
    /// <returns>A task that completes when all fragments were written.</returns>
    /// <exception cref="KvsServiceException">ResourceNotFoundException when a fragment was removed meanwhile.</exception>
    public async Task WriteFragmentListAsync(string streamName, IReadOnlyList<StoredFragment> fragments, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fragments);
        ArgumentNullException.ThrowIfNull(output);
        MediaStream stream = Resolve(streamName, null);
        foreach (StoredFragment fragment in fragments)
        {
            bool written = await WriteFragmentAsync(stream, fragment, output, null, cancellationToken).ConfigureAwait(false);
            if (!written) throw KvsServiceException.NotFound($"Fragment {fragment.FragmentNumber} was removed by retention while being read.");
        }
    }

    /// <summary>The Content-Type KVS gives media of a stream: its MediaType, or <see cref="MediaStoreConstants.DefaultMediaType"/>.</summary>
    internal static string ContentTypeOf(KvsStreamDescription stream) =>
        string.IsNullOrEmpty(stream.MediaType) ? MediaStoreConstants.DefaultMediaType : stream.MediaType;

    internal void CheckArchivedRate(MediaStream stream)
    {
        if (!stream.ArchivedMediaCalls.TryEnter(Ticks(Time), Options.ArchivedMediaCallsPerSecondPerStream))
        {
            throw KvsServiceException.ClientLimit($"More than {Options.ArchivedMediaCallsPerSecondPerStream} archived-media calls in one second on stream {stream.Description.StreamName}.");
        }
    }

    /// <summary>Copies one stored fragment with the tags inserted; false when its file is gone (retention).</summary>
    internal static async Task<bool> WriteFragmentAsync(MediaStream stream, StoredFragment fragment, Stream output, byte[]? after, CancellationToken cancellationToken)
    {
        FileStream file;
        try
        {
            file = new FileStream(stream.FragmentPath(fragment.FragmentNumber), FileMode.Open, FileAccess.Read,
                FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
        await using (file.ConfigureAwait(false))
        {
            byte[] head = new byte[fragment.ClusterOffset];
            await file.ReadExactlyAsync(head, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(head, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(KvsFragmentTags.Before(fragment), cancellationToken).ConfigureAwait(false);
            await file.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            if (after is not null) await output.WriteAsync(after, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }
}

/// <summary>
/// One GetMedia read of a stream: history from the start selector, then the live tail, one fragment at a time
/// as KVS sends them. It ends when no fragment arrives for <see cref="MediaStoreOptions.GetMediaIdleTimeout"/>,
/// when the stream is deleted, or when cancelled.
/// </summary>
public sealed class GetMediaSession : IDisposable
{
    private readonly MediaStore _store;
    private readonly MediaStream _stream;
    private bool _disposed;

    internal GetMediaSession(MediaStore store, MediaStream stream)
    {
        _store = store;
        _stream = stream;
        ContentType = MediaStore.ContentTypeOf(stream.Description);
    }

    /// <summary>Gets the Content-Type of the response: the stream's MediaType, as KVS answers.</summary>
    /// <value>For example <c>audio/webm</c>; <see cref="MediaStoreConstants.DefaultMediaType"/> when the stream has none.</value>
    public string ContentType { get; }

    /// <summary>The first fragment to send (inclusive), or null.</summary>
    internal string? From { get; set; }

    /// <summary>The fragment after which to send, or null (from the start) when <see cref="From"/> is null.</summary>
    internal string? After { get; set; }

    internal bool Tail { get; set; }

    /// <summary>Gets the number of fragments written so far.</summary>
    /// <value>0 before the first.</value>
    public int FragmentsWritten { get; private set; }

    /// <summary>Writes fragments to <paramref name="output"/> (flushing after each) until idle, deleted or cancelled.</summary>
    /// <param name="output">The response body.</param>
    /// <param name="cancellationToken">Ends the read (the client went away).</param>
    /// <returns>A task that completes when the read ends.</returns>
    public async Task WriteToAsync(Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _store.Stopping);
        cancellationToken = linked.Token;
        while (!cancellationToken.IsCancellationRequested)
        {
            StoredFragment? next = null;
            LiveFragment? live = null;
            long millisBehind = 0;
            Task changed;
            lock (_stream.Gate)
            {
                if (_stream.Deleted) return;
                List<StoredFragment> fragments = _stream.Fragments;
                int index;
                if (From is not null) index = _stream.LowerBound(From);
                else if (After is not null)
                {
                    index = _stream.LowerBound(After);
                    if (index < fragments.Count && fragments[index].FragmentNumber == After) index++;
                }
                else index = 0;
                changed = _stream.Changed;
                if (index < fragments.Count)
                {
                    next = fragments[index];
                    millisBehind = (long)(fragments[^1].ServerTimestamp - next.ServerTimestamp).TotalMilliseconds;
                }
                else if (_stream.Live is { } open && IsNext(open.FragmentNumber))
                {
                    live = open;
                }
            }

            if (live is not null)
            {
                bool complete = await WriteLiveAsync(live, output, cancellationToken).ConfigureAwait(false);
                if (!complete) return;
                FragmentsWritten++;
                From = null;
                After = live.FragmentNumber;
                continue;
            }

            if (next is null)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                Task delay = Task.Delay(_store.Options.GetMediaIdleTimeout, _store.Time, idle.Token);
                Task first = await Task.WhenAny(changed, delay).ConfigureAwait(false);
                idle.Cancel();
                if (first != changed) return;
                continue;
            }

            byte[] after = KvsFragmentTags.After(millisBehind, next.FragmentNumber);
            await MediaStore.WriteFragmentAsync(_stream, next, output, after, cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            FragmentsWritten++;
            From = null;
            After = next.FragmentNumber;
        }
    }

    /// <summary>Whether a fragment newer than every stored one is where this read continues.</summary>
    private bool IsNext(string fragmentNumber) =>
        (From is null || FragmentNumber.Compare(fragmentNumber, From) >= 0) && (After is null || FragmentNumber.Compare(fragmentNumber, After) > 0);

    /// <summary>
    /// Streams a fragment that is still being uploaded: its header, the tags KVS puts before the Cluster, the Cluster
    /// with an unknown size and then each block as the upload writes it, and the end-of-fragment tags once it is stored.
    /// </summary>
    /// <returns>True when the fragment was sent whole; false when the read must end (upload failed, stream deleted, idle).</returns>
    private async Task<bool> WriteLiveAsync(LiveFragment live, Stream output, CancellationToken cancellationToken)
    {
        FileStream file;
        lock (_stream.Gate)
        {
            if (live.State == LiveFragmentState.Aborted || _stream.Deleted) return false;
            // Opened under the gate: the commit moves the file under it, and an open handle follows the move.
            string path = live.State == LiveFragmentState.Committed ? _stream.FragmentPath(live.FragmentNumber) : live.TempPath;
            try
            {
                file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 16 * 1024, FileOptions.Asynchronous);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return false;
            }
        }
        await using (file.ConfigureAwait(false))
        {
            byte[] head = new byte[live.ClusterOffset];
            await file.ReadExactlyAsync(head, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(head, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(KvsFragmentTags.Before(live.FragmentNumber, live.ServerTimestamp, live.ProducerTimestamp), cancellationToken).ConfigureAwait(false);
            // The Cluster's size is written only when it ends; until then it is unknown, as in a live WebM.
            await output.WriteAsync(UnknownSizeClusterHeader, cancellationToken).ConfigureAwait(false);
            long position = live.ClusterOffset + UnknownSizeClusterHeader.Length;
            file.Position = position;
            byte[] buffer = new byte[16 * 1024];
            while (true)
            {
                long length;
                LiveFragmentState state;
                long millisBehind = 0;
                Task changed;
                lock (_stream.Gate)
                {
                    if (_stream.Deleted) return false;
                    length = live.Length;
                    state = live.State;
                    changed = _stream.Changed;
                    if (state == LiveFragmentState.Committed && _stream.Fragments.Count > 0)
                    {
                        millisBehind = Math.Max(0, (long)(_stream.Fragments[^1].ServerTimestamp - live.ServerTimestamp).TotalMilliseconds);
                    }
                }
                if (state == LiveFragmentState.Aborted) return false;
                if (length > position)
                {
                    while (position < length)
                    {
                        int read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - position)), cancellationToken).ConfigureAwait(false);
                        if (read == 0) return false;
                        await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                        position += read;
                    }
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (state == LiveFragmentState.Committed)
                {
                    await output.WriteAsync(KvsFragmentTags.After(millisBehind, live.FragmentNumber), cancellationToken).ConfigureAwait(false);
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    return true;
                }
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                Task delay = Task.Delay(_store.Options.GetMediaIdleTimeout, _store.Time, idle.Token);
                Task first = await Task.WhenAny(changed, delay).ConfigureAwait(false);
                idle.Cancel();
                if (first != changed) return false;
            }
        }
    }

    // Cluster ID and the 8-byte "unknown" size (all value bits set), the same length as the stored fragment's header.
    private static readonly byte[] UnknownSizeClusterHeader = [.. EbmlWriter.Id(MkvElementIds.Cluster), .. EbmlWriter.UnknownSize];

    /// <summary>Frees the GetMedia connection slot.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_stream.Gate) _stream.GetMediaConnections--;
    }
}
