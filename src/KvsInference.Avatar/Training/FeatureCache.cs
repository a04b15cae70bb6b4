using System.IO.Compression;
using System.Runtime.InteropServices;

namespace KvsInference.Avatar.Training;

/// <summary>
/// Keeps <see cref="VisemeTrainer"/>'s augmented features (raw log-mel frames, window levels and labels per utterance) in a
/// file, so that classifier choices can be compared without preparing the data again (alignment and augmentation take
/// most of a training run). The file names the data options it was made with; another set is an error, not stale data.
/// </summary>
internal static class FeatureCache
{
    private const string Magic = "kvs-inference viseme features 1";

    /// <summary>Writes the utterances with the key of the options that made them.</summary>
    public static void Write(string path, string key, IReadOnlyList<(float[] LogMel, float[] MeanSquare, byte[] Labels)> raw)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var writer = new BinaryWriter(gzip);
        writer.Write(Magic);
        writer.Write(key);
        writer.Write(raw.Count);
        foreach (var (logMel, meanSquare, labels) in raw)
        {
            writer.Write(logMel.Length);
            writer.Write(MemoryMarshal.AsBytes(logMel.AsSpan()));
            writer.Write(meanSquare.Length);
            writer.Write(MemoryMarshal.AsBytes(meanSquare.AsSpan()));
            writer.Write(labels.Length);
            writer.Write(labels);
        }
    }

    /// <summary>Reads utterances written with <paramref name="key"/>.</summary>
    /// <exception cref="InvalidOperationException">The file is not a feature cache or was made with other data options.</exception>
    public static List<(float[] LogMel, float[] MeanSquare, byte[] Labels)> Read(string path, string key)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new BinaryReader(gzip);
        try
        {
            if (reader.ReadString() != Magic) throw new InvalidOperationException($"{path} is not a viseme feature cache");
            var written = reader.ReadString();
            if (written != key) throw new InvalidOperationException($"the feature cache {path} was made with other data options ({written}; now {key}): delete it or use another file");
            int count = reader.ReadInt32();
            var raw = new List<(float[], float[], byte[])>(count);
            for (int i = 0; i < count; i++) raw.Add((ReadFloats(reader), ReadFloats(reader), reader.ReadBytes(reader.ReadInt32())));
            return raw;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidOperationException($"the feature cache {path} is truncated", e);
        }
        catch (InvalidDataException e)
        {
            // Not gzip at all: the decompressor's message alone would not say which file.
            throw new InvalidOperationException($"{path} is not a viseme feature cache ({e.Message})", e);
        }
    }

    private static float[] ReadFloats(BinaryReader reader)
    {
        var values = new float[reader.ReadInt32()];
        reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }
}
