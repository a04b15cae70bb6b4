using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace KvsInference.Audio;

/// <summary>
/// Writes 16-bit PCM as a RIFF/WAVE file, streaming: the header goes out first and the samples follow as they come.
/// It is an <see cref="IPcmSink"/>, so an <see cref="AudioTrackDecoder"/> can write straight into it.
/// </summary>
/// <remarks>
/// <para>Sizes: on a seekable stream the RIFF and data sizes are patched in <see cref="Complete"/> (or
/// <see cref="Dispose"/>). On a non-seekable stream (a pipe, standard output) they cannot be, so the header carries
/// 0xFFFFFFFF for both, which ffmpeg, sox and <see cref="WavReader"/> read as "data runs to the end of the file".
/// Files over 4 GiB also get 0xFFFFFFFF.</para>
/// <para>Discontinuities are not filled: samples are written back to back, as ffmpeg's decode does.</para>
/// </remarks>
public sealed class WavWriter : IPcmSink, IDisposable
{
    private const int HeaderBytes = 44;
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly long _headerPosition;
    private byte[] _scratch = [];
    private long _dataBytes;
    private bool _completed;

    /// <summary>Starts a WAV stream and writes its header.</summary>
    /// <param name="stream">Where to write; need not be seekable.</param>
    /// <param name="sampleRate">Rate in Hz.</param>
    /// <param name="channels">Number of interleaved channels.</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves the stream open.</param>
    /// <exception cref="ArgumentOutOfRangeException">The rate or channel count is not positive.</exception>
    /// <exception cref="ArgumentException">The stream is not writable.</exception>
    public WavWriter(Stream stream, int sampleRate, int channels, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, ushort.MaxValue / 2);
        if (!stream.CanWrite) throw new ArgumentException("The stream is not writable.", nameof(stream));
        _stream = stream;
        _leaveOpen = leaveOpen;
        SampleRate = sampleRate;
        Channels = channels;
        _headerPosition = stream.CanSeek ? stream.Position : -1;
        Span<byte> header = stackalloc byte[HeaderBytes];
        WriteHeader(header, stream.CanSeek ? 0 : uint.MaxValue);
        _stream.Write(header);
    }

    /// <summary>Creates a file and starts a WAV stream in it.</summary>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="sampleRate">Rate in Hz.</param>
    /// <param name="channels">Number of interleaved channels.</param>
    /// <returns>The writer; dispose it to finish the file.</returns>
    /// <exception cref="IOException">The file cannot be created.</exception>
    public static WavWriter Create(string path, int sampleRate, int channels) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), sampleRate, channels);

    /// <summary>Gets the rate in Hz.</summary>
    public int SampleRate { get; }

    /// <summary>Gets the number of channels.</summary>
    public int Channels { get; }

    /// <summary>Gets the number of samples per channel written.</summary>
    public long Frames => _dataBytes / (2 * Channels);

    /// <summary>Appends samples.</summary>
    /// <param name="samples">Interleaved samples, a whole number of frames.</param>
    /// <exception cref="ArgumentException">Not a whole number of frames.</exception>
    /// <exception cref="InvalidOperationException">The writer was completed.</exception>
    public void Write(ReadOnlySpan<short> samples)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (samples.Length % Channels != 0)
        {
            throw new ArgumentException($"{samples.Length} samples are not a whole number of {Channels}-channel frames.", nameof(samples));
        }
        if (BitConverter.IsLittleEndian)
        {
            _stream.Write(MemoryMarshal.AsBytes(samples));
        }
        else
        {
            if (_scratch.Length < samples.Length * 2) _scratch = new byte[samples.Length * 2];
            for (int i = 0; i < samples.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(_scratch.AsSpan(2 * i), samples[i]);
            _stream.Write(_scratch, 0, samples.Length * 2);
        }
        _dataBytes += samples.Length * 2L;
    }

    /// <inheritdoc />
    void IPcmSink.OnPcm(ReadOnlySpan<short> samples, long timestampNs) => Write(samples);

    /// <inheritdoc />
    void IPcmSink.OnDiscontinuity(long endNs, long nextStartNs)
    {
        // Written back to back: see the remarks.
    }

    /// <inheritdoc />
    void IPcmSink.OnEndOfStream() => Complete();

    /// <summary>Finishes the file: fixes the sizes in the header when the stream is seekable, and flushes.</summary>
    public void Complete()
    {
        if (_completed) return;
        _completed = true;
        if (_headerPosition >= 0)
        {
            long end = _stream.Position;
            _stream.Position = _headerPosition;
            Span<byte> header = stackalloc byte[HeaderBytes];
            WriteHeader(header, _dataBytes > uint.MaxValue - 36 ? uint.MaxValue : (uint)_dataBytes);
            _stream.Write(header);
            _stream.Position = end;
        }
        _stream.Flush();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Complete();
        if (!_leaveOpen) _stream.Dispose();
    }

    private void WriteHeader(Span<byte> header, uint dataBytes)
    {
        "RIFF"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], dataBytes == uint.MaxValue ? uint.MaxValue : dataBytes + 36);
        "WAVE"u8.CopyTo(header[8..]);
        "fmt "u8.CopyTo(header[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(header[20..], 1); // WAVE_FORMAT_PCM
        BinaryPrimitives.WriteUInt16LittleEndian(header[22..], (ushort)Channels);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], (uint)SampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(header[28..], (uint)(SampleRate * Channels * 2));
        BinaryPrimitives.WriteUInt16LittleEndian(header[32..], (ushort)(Channels * 2));
        BinaryPrimitives.WriteUInt16LittleEndian(header[34..], 16);
        "data"u8.CopyTo(header[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[40..], dataBytes);
    }
}
