using KvsInference.Kvs;

namespace KvsInference.Matroska;

// Tracks and tags: a TrackEntry becomes an MkvTrackInfo, a SimpleTag an MkvSimpleTag (and KVS fragment metadata).
public sealed partial class MkvStreamParser
{
    private void EndTrackEntry<THandler>(THandler handler)
        where THandler : IMkvHandler
    {
        MkvTrackInfo? track = _currentTrack;
        _currentTrack = null;
        if (track is null) return;
        if (track.Number == 0) ThrowHelper.ThrowMkvFormatException_BadTrack(_currentTrackOffset, "TrackNumber is missing or 0");
        for (int i = 0; i < _tracks.Count; i++)
        {
            if (_tracks[i].Number == track.Number)
            {
                _tracks.RemoveAt(i);
                break;
            }
        }
        _tracks.Add(track);
        _lastTrack = null;
        handler.OnTrack(track);
    }

    private void EndSimpleTag<THandler>(THandler handler)
        where THandler : IMkvHandler
    {
        if (_tagStack.Count == 0) return;
        TagBuilder builder = _tagStack[^1];
        _tagStack.RemoveAt(_tagStack.Count - 1);
        if (builder.Name is null) return;
        var tag = new MkvSimpleTag(builder.Name, builder.StringValue, builder.BinaryValue, _tagStack.Count);
        _fragment ??= new MkvFragmentMetadata();
        if (_fragment.TrySet(tag.Name, tag.StringValue))
        {
            _tagsHadFragmentTag = true;
            if (KvsFragmentTagNames.EndsFragment(tag.Name)) _tagsHadEndOfFragmentTag = true;
        }
        handler.OnSimpleTag(tag);
    }

    private static void SetTrackValue(ref MkvReader reader, MkvTrackInfo track)
    {
        switch (reader.ElementId)
        {
            case MkvElementIds.TrackNumber: track.Number = reader.GetUInt64(); break;
            case MkvElementIds.TrackUid: track.Uid = reader.GetUInt64(); break;
            case MkvElementIds.TrackType: track.Type = (MkvTrackType)Math.Min(reader.GetUInt64(), 255); break;
            case MkvElementIds.CodecId: track.CodecId = reader.GetString(); break;
            case MkvElementIds.CodecPrivate: track.CodecPrivate = reader.GetBytes(); break;
            case MkvElementIds.CodecDelay: track.CodecDelayNs = reader.GetUInt64(); break;
            case MkvElementIds.SeekPreRoll: track.SeekPreRollNs = reader.GetUInt64(); break;
            case MkvElementIds.DefaultDuration: track.DefaultDurationNs = reader.GetUInt64(); break;
            case MkvElementIds.Name: track.Name = reader.GetString(); break;
            case MkvElementIds.Language: track.Language = reader.GetString(); break;
            case MkvElementIds.SamplingFrequency: track.SamplingFrequency = reader.GetDouble(); break;
            case MkvElementIds.OutputSamplingFrequency: track.OutputSamplingFrequency = reader.GetDouble(); break;
            case MkvElementIds.Channels: track.Channels = (int)Math.Min(reader.GetUInt64(), int.MaxValue); break;
            case MkvElementIds.BitDepth: track.BitDepth = (int)Math.Min(reader.GetUInt64(), int.MaxValue); break;
            case MkvElementIds.PixelWidth: track.PixelWidth = (int)Math.Min(reader.GetUInt64(), int.MaxValue); break;
            case MkvElementIds.PixelHeight: track.PixelHeight = (int)Math.Min(reader.GetUInt64(), int.MaxValue); break;
        }
    }

    private sealed class TagBuilder
    {
        public string? Name;
        public string? StringValue;
        public byte[]? BinaryValue;
    }
}
