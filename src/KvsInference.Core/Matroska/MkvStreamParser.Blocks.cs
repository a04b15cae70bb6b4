using System.Buffers;
using System.Numerics;

namespace KvsInference.Matroska;

public sealed partial class MkvStreamParser
{
    private const int MaxLaces = 256;

    private void OnBlockGroup<THandler>(ref MkvReader outer, THandler handler)
        where THandler : IMkvHandler
    {
        // The whole group is in the buffer: read its children with a nested reader over its body.
        MkvReaderState state = MkvReaderState.ForFragment(outer.DataOffset, _state.MaxElementSizeBytes);
        MkvReader inner = outer.HasValueSequence
            ? new MkvReader(outer.ValueSequence, true, state)
            : new MkvReader(outer.ValueSpan, true, state);

        long durationUnits = -1;
        bool hasReference = false;
        long discardPaddingNs = 0;
        bool hasBlock = false;
        bool blockIsSequence = false;
        long blockOffset = 0;
        ReadOnlySpan<byte> blockSpan = default;
        ReadOnlySequence<byte> blockSequence = default;
        while (inner.Read())
        {
            if (inner.TokenType != MkvTokenType.Value) continue;
            switch (inner.ElementId)
            {
                case MkvElementIds.Block:
                    hasBlock = true;
                    blockOffset = inner.ElementOffset;
                    blockIsSequence = inner.HasValueSequence;
                    if (blockIsSequence) blockSequence = inner.ValueSequence;
                    else blockSpan = inner.ValueSpan;
                    break;
                case MkvElementIds.BlockDuration:
                    durationUnits = (long)Math.Min(inner.GetUInt64(), long.MaxValue / 2);
                    break;
                case MkvElementIds.ReferenceBlock:
                    hasReference = true;
                    break;
                case MkvElementIds.DiscardPadding:
                    discardPaddingNs = inner.GetInt64();
                    break;
            }
        }
        if (!hasBlock) ThrowHelper.ThrowMkvFormatException_BadBlock(outer.ElementOffset, "a BlockGroup without a Block");
        ParseBlock(blockSpan, blockSequence, blockIsSequence, blockOffset, false, durationUnits, hasReference, discardPaddingNs, handler);
    }

    /// <summary>Parses a SimpleBlock or Block body (contiguous in <paramref name="span"/>, or in <paramref name="sequence"/>) and delivers its frames.</summary>
    private void ParseBlock<THandler>(ReadOnlySpan<byte> span, ReadOnlySequence<byte> sequence, bool isSequence, long blockOffset,
        bool isSimpleBlock, long durationUnits, bool hasReference, long discardPaddingNs, THandler handler)
        where THandler : IMkvHandler
    {
        Span<int> laceSizes = stackalloc int[MaxLaces];
        int blockLength;
        int headerLength;
        ulong trackNumber;
        short relativeTimestamp;
        byte flags;
        int laceCount;
        if (!isSequence)
        {
            blockLength = span.Length;
            headerLength = ParseBlockHeader(span, blockLength, blockOffset, laceSizes, out trackNumber, out relativeTimestamp, out flags, out laceCount);
        }
        else
        {
            blockLength = (int)sequence.Length;
            headerLength = ParseBlockHeader(sequence.FirstSpan, blockLength, blockOffset, laceSizes, out trackNumber, out relativeTimestamp, out flags, out laceCount);
            if (headerLength == 0)
            {
                // Rare: a block whose lacing header crosses buffer segments. Parse the header from a copy.
                byte[] copy = ArrayPool<byte>.Shared.Rent(blockLength);
                sequence.CopyTo(copy);
                headerLength = ParseBlockHeader(copy.AsSpan(0, blockLength), blockLength, blockOffset, laceSizes, out trackNumber, out relativeTimestamp, out flags, out laceCount);
                ArrayPool<byte>.Shared.Return(copy);
            }
        }

        MkvTrackInfo? track = FindTrack(trackNumber);
        long scale = (long)_timestampScaleNs;
        long timestampNs = (_clusterTimestamp + relativeTimestamp) * scale;
        long defaultDurationNs = track is not null && track.DefaultDurationNs > 0 && track.DefaultDurationNs < long.MaxValue / MaxLaces
            ? (long)track.DefaultDurationNs : -1;
        long blockDurationNs = durationUnits >= 0 ? durationUnits * scale : -1;
        bool isKey = isSimpleBlock ? (flags & 0x80) != 0 : !hasReference;
        bool isInvisible = (flags & 0x08) != 0;

        // Laces after the first start where the one before ends. The codec tells each lace's length exactly (Opus
        // packets in one block may differ); DefaultDuration or a share of the BlockDuration are the fallbacks.
        Span<int> laceSamples = laceCount > 1 ? stackalloc int[laceCount] : default;
        int codecRate = laceCount > 1 && track is not null && _frameTiming is not null
            ? CodecLaceSamples(_frameTiming, track, span, sequence, isSequence, headerLength, laceSizes[..laceCount], laceSamples)
            : 0;
        long samplesBefore = 0;
        int offset = headerLength;
        for (int i = 0; i < laceCount; i++)
        {
            int size = laceSizes[i];
            long frameTimestampNs = timestampNs;
            long frameDurationNs;
            if (laceCount == 1)
            {
                frameDurationNs = blockDurationNs >= 0 ? blockDurationNs : defaultDurationNs;
            }
            else if (codecRate > 0)
            {
                // Counted in samples, so that rounding to whole nanoseconds does not add up over the laces.
                long before = SamplesToNs(samplesBefore, codecRate);
                samplesBefore += laceSamples[i];
                frameTimestampNs = timestampNs + before;
                frameDurationNs = SamplesToNs(samplesBefore, codecRate) - before;
            }
            else if (defaultDurationNs > 0)
            {
                frameTimestampNs = timestampNs + i * defaultDurationNs;
                frameDurationNs = defaultDurationNs;
            }
            else if (blockDurationNs >= 0)
            {
                // Share the block duration out over the laces, as the specification's lacing examples do.
                long before = blockDurationNs * i / laceCount;
                frameTimestampNs = timestampNs + before;
                frameDurationNs = blockDurationNs * (i + 1) / laceCount - before;
            }
            else
            {
                frameDurationNs = -1;
            }
            long padding = i == laceCount - 1 ? discardPaddingNs : 0;
            if (!isSequence)
            {
                handler.OnFrame(new MkvFrame(track, trackNumber, frameTimestampNs, frameDurationNs, isKey, isInvisible, padding, blockOffset,
                    span.Slice(offset, size), default, false));
            }
            else
            {
                ReadOnlySequence<byte> payload = sequence.Slice(offset, size);
                if (payload.IsSingleSegment)
                    handler.OnFrame(new MkvFrame(track, trackNumber, frameTimestampNs, frameDurationNs, isKey, isInvisible, padding, blockOffset,
                        payload.FirstSpan, default, false));
                else
                    handler.OnFrame(new MkvFrame(track, trackNumber, frameTimestampNs, frameDurationNs, isKey, isInvisible, padding, blockOffset,
                        default, payload, true));
            }
            offset += size;
        }
    }

    /// <summary>Fills <paramref name="samples"/> with each lace's length as its codec tells it and returns the rate they
    /// are counted at, or 0 when the codec does not tell the length of every lace.</summary>
    private static int CodecLaceSamples(IMkvFrameTiming timing, MkvTrackInfo track, ReadOnlySpan<byte> span, ReadOnlySequence<byte> sequence,
        bool isSequence, int headerLength, ReadOnlySpan<int> laceSizes, Span<int> samples)
    {
        int rate = 0;
        int offset = headerLength;
        Span<byte> head = stackalloc byte[FrameTimingHeadBytes];
        for (int i = 0; i < laceSizes.Length; i++)
        {
            int size = laceSizes[i];
            int headLength = Math.Min(size, FrameTimingHeadBytes);
            if (isSequence) sequence.Slice(offset, headLength).CopyTo(head);
            else span.Slice(offset, headLength).CopyTo(head);
            bool known = timing.TryGetSamples(track, head[..headLength], size, out samples[i], out int laceRate);
            if (!known || (rate != 0 && laceRate != rate)) return 0;
            rate = laceRate;
            offset += size;
        }
        return rate;
    }

    // The bytes of a frame an IMkvFrameTiming sees: enough for a codec's frame header (Opus needs 2).
    private const int FrameTimingHeadBytes = 8;

    private static long SamplesToNs(long samples, int rate) =>
        samples / rate * 1_000_000_000L + samples % rate * 1_000_000_000L / rate;

    private MkvTrackInfo? FindTrack(ulong number)
    {
        MkvTrackInfo? last = _lastTrack;
        if (last is not null && last.Number == number) return last;
        List<MkvTrackInfo> tracks = _tracks;
        for (int i = 0; i < tracks.Count; i++)
        {
            if (tracks[i].Number == number)
            {
                _lastTrack = tracks[i];
                return tracks[i];
            }
        }
        return null;
    }

    /// <summary>
    /// Parses the block header (track number, relative timestamp, flags, lacing) and fills the frame sizes.
    /// Returns the header length, or 0 when <paramref name="prefix"/> is shorter than the block and ends inside the header.
    /// </summary>
    private static int ParseBlockHeader(ReadOnlySpan<byte> prefix, int blockLength, long blockOffset, Span<int> laceSizes,
        out ulong trackNumber, out short relativeTimestamp, out byte flags, out int laceCount)
    {
        trackNumber = 0;
        relativeTimestamp = 0;
        flags = 0;
        laceCount = 0;
        bool complete = prefix.Length >= blockLength;
        if (prefix.IsEmpty) return NeedMore(complete, blockOffset, "no track number");
        byte first = prefix[0];
        if (first == 0) ThrowHelper.ThrowMkvFormatException_BadBlock(blockOffset, "the track number is not a valid variable-size integer");
        int length = BitOperations.LeadingZeroCount((uint)first) - 23;
        if (prefix.Length < length + 3) return NeedMore(complete, blockOffset, "the block header is cut short");
        ulong track = first & (0xFFu >> length);
        for (int i = 1; i < length; i++) track = (track << 8) | prefix[i];
        trackNumber = track;
        relativeTimestamp = (short)((prefix[length] << 8) | prefix[length + 1]);
        flags = prefix[length + 2];
        int position = length + 3;

        int lacing = (flags >> 1) & 3;
        if (lacing == 0)
        {
            laceCount = 1;
            laceSizes[0] = blockLength - position;
            return position;
        }

        if (position >= prefix.Length) return NeedMore(complete, blockOffset, "the lace count is missing");
        int count = prefix[position++] + 1;
        long total = 0;
        switch (lacing)
        {
            case 1: // Xiph: each size but the last as a run of 255s plus a final byte below 255.
                for (int i = 0; i < count - 1; i++)
                {
                    int size = 0;
                    byte b;
                    do
                    {
                        if (position >= prefix.Length) return NeedMore(complete, blockOffset, "the Xiph lace sizes are cut short");
                        b = prefix[position++];
                        size += b;
                    }
                    while (b == 255);
                    laceSizes[i] = size;
                    total += size;
                }
                break;
            case 3: // EBML: the first size as a vint, the others as signed differences from the previous size.
                {
                    long previous = 0;
                    for (int i = 0; i < count - 1; i++)
                    {
                        if (position >= prefix.Length) return NeedMore(complete, blockOffset, "the EBML lace sizes are cut short");
                        byte b = prefix[position];
                        if (b == 0) ThrowHelper.ThrowMkvFormatException_BadBlock(blockOffset, "an EBML lace size is not a valid variable-size integer");
                        int n = BitOperations.LeadingZeroCount((uint)b) - 23;
                        if (position + n > prefix.Length) return NeedMore(complete, blockOffset, "the EBML lace sizes are cut short");
                        long raw = b & (0xFF >> n);
                        for (int k = 1; k < n; k++) raw = (raw << 8) | prefix[position + k];
                        position += n;
                        long size = i == 0 ? raw : previous + (raw - ((1L << (7 * n - 1)) - 1));
                        if (size < 0 || size > blockLength) ThrowHelper.ThrowMkvFormatException_BadBlock(blockOffset, $"EBML lace {i} has size {size}");
                        laceSizes[i] = (int)size;
                        previous = size;
                        total += size;
                    }
                    break;
                }
            default: // Fixed-size: the rest of the block split evenly.
                {
                    int rest = blockLength - position;
                    if (rest % count != 0) ThrowHelper.ThrowMkvFormatException_BadBlock(blockOffset, $"{rest} bytes cannot be split into {count} fixed-size laces");
                    for (int i = 0; i < count - 1; i++) laceSizes[i] = rest / count;
                    total = (long)(rest / count) * (count - 1);
                    break;
                }
        }
        long last = blockLength - position - total;
        if (last < 0) ThrowHelper.ThrowMkvFormatException_BadBlock(blockOffset, $"the lace sizes ({total} bytes) exceed the block ({blockLength - position} bytes after the header)");
        laceSizes[count - 1] = (int)last;
        laceCount = count;
        return position;
    }

    private static int NeedMore(bool complete, long blockOffset, string what)
    {
        if (complete) ThrowHelper.ThrowMkvFormatException_BadBlock(blockOffset, what);
        return 0;
    }
}
