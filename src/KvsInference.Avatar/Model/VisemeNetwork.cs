using System.Buffers.Binary;
using System.Security.Cryptography;
using KvsInference.Avatar.Features;

namespace KvsInference.Avatar.Model;

/// <summary>
/// The trained classifier: per-band normalisation of the level-normalised log-mel features (<see cref="LevelNormaliser"/>),
/// then a small multilayer perceptron (stacked context frames -> one or two ReLU hidden layers -> softmax over the 15
/// <see cref="VisemeClass"/>es).
/// </summary>
/// <remarks>
/// File format (little-endian): magic "KVSV", format version (int32 = 5), context frames, mel bands,
/// hidden units (0: no hidden layer, W2 reads the input), classes, noise floor in dB under the speech level (0: none),
/// second hidden units, members (int32 each), then float32 arrays: the training speech's mean spectrum and
/// its band variances (for <see cref="LevelNormaliser"/>), band mean, band 1/std, W1 (hidden x input,
/// row-major), b1, Wm (the second hidden layer: per member, its share of the second layer's units x its share of the
/// first's, row-major, member after member), bm, W2 (classes x the last hidden layer), b2. A network without a second
/// hidden layer is written as version 4 (no second-layer fields or arrays), and one without a noise floor either as
/// version 3 (no noise-floor field), so older weights keep their bytes and fingerprint; version 2 had no band variances
/// (the features were not variance normalised).
/// </remarks>
public sealed class VisemeNetwork
{
    private const uint Magic = 0x5653564B; // "KVSV"
    private const int FormatVersion = 5;

    internal VisemeNetwork(int contextFrames, int hiddenUnits, int noiseFloorDb, int secondHiddenUnits = 0, int members = 1)
    {
        if (contextFrames is < 1 or > 32) throw new ArgumentOutOfRangeException(nameof(contextFrames), contextFrames, "context frames must be 1..32");
        if (hiddenUnits is < 0 or > MaxHiddenUnits) throw new ArgumentOutOfRangeException(nameof(hiddenUnits), hiddenUnits, $"hidden units must be 0..{MaxHiddenUnits}");
        if (!IsValidNoiseFloor(noiseFloorDb)) throw new ArgumentOutOfRangeException(nameof(noiseFloorDb), noiseFloorDb, $"the noise floor must be 0 (none) or {MinNoiseFloorDb}..{MaxNoiseFloorDb} dB");
        if (!IsValidSecondLayer(hiddenUnits, secondHiddenUnits, members))
        {
            throw new ArgumentOutOfRangeException(nameof(secondHiddenUnits), secondHiddenUnits, $"a second hidden layer of {secondHiddenUnits} units in {members} members does not fit {hiddenUnits} first-layer units (0..{MaxHiddenUnits} units, both layers divisible by the members)");
        }
        ContextFrames = contextFrames;
        HiddenUnits = hiddenUnits;
        NoiseFloorDb = noiseFloorDb;
        SecondHiddenUnits = secondHiddenUnits;
        Members = members;
        SpeechMean = new float[FeatureConstants.MelBands];
        SpeechVariance = new float[FeatureConstants.MelBands];
        Mean = new float[FeatureConstants.MelBands];
        InvStd = new float[FeatureConstants.MelBands];
        W1 = new float[hiddenUnits * InputSize];
        B1 = new float[hiddenUnits];
        Wm = new float[secondHiddenUnits * hiddenUnits / members];
        Bm = new float[secondHiddenUnits];
        W2 = new float[ClassCount * OutputInputs];
        B2 = new float[ClassCount];
    }

    /// <summary>The number of output classes.</summary>
    public const int ClassCount = 15;

    /// <summary>Gets how many consecutive analysis frames (10 ms apart) the classifier sees.</summary>
    public int ContextFrames { get; }

    /// <summary>Gets the width of the hidden layer.</summary>
    public int HiddenUnits { get; }

    /// <summary>The widest hidden layer a network may have.</summary>
    public const int MaxHiddenUnits = 1024;

    /// <summary>The smallest noise floor a network may have, in dB under the speech level.</summary>
    public const int MinNoiseFloorDb = 20;

    /// <summary>The largest noise floor a network may have, in dB under the speech level.</summary>
    public const int MaxNoiseFloorDb = 100;

    /// <summary>
    /// Gets how far under the stream's speech level the white noise added to every window's features is, in dB (0: none):
    /// the front end the network was trained with, so it travels with the weights.
    /// </summary>
    public int NoiseFloorDb { get; }

    /// <summary>Gets whether <paramref name="noiseFloorDb"/> is a noise floor a network may have: 0 (none) or <see cref="MinNoiseFloorDb"/>..<see cref="MaxNoiseFloorDb"/>.</summary>
    /// <param name="noiseFloorDb">The floor, in dB under the speech level.</param>
    /// <returns>True when it is allowed.</returns>
    public static bool IsValidNoiseFloor(int noiseFloorDb) => noiseFloorDb is 0 or (>= MinNoiseFloorDb and <= MaxNoiseFloorDb);

    /// <summary>Gets the width of the second hidden layer (0: none, the output layer reads the first).</summary>
    public int SecondHiddenUnits { get; }

    /// <summary>
    /// Gets how many networks sit side by side in the second hidden layer (an ensemble, <c>train-model --ensemble</c>): each
    /// member's share of its units reads only that member's share of the first layer's. 1 without a second layer, where
    /// members merge into one first layer exactly.
    /// </summary>
    public int Members { get; }

    /// <summary>Gets whether a second hidden layer of <paramref name="secondHiddenUnits"/> (0: none) in <paramref name="members"/> members fits a first layer of <paramref name="hiddenUnits"/>.</summary>
    /// <param name="hiddenUnits">The first hidden layer's width.</param>
    /// <param name="secondHiddenUnits">The second's: 0..<see cref="MaxHiddenUnits"/>, and not without a first.</param>
    /// <param name="members">The networks side by side: at least 1, 1 without a second layer, dividing both layers' widths.</param>
    /// <returns>True when it fits.</returns>
    public static bool IsValidSecondLayer(int hiddenUnits, int secondHiddenUnits, int members) =>
        secondHiddenUnits == 0
            ? members == 1
            : secondHiddenUnits is > 0 and <= MaxHiddenUnits && hiddenUnits > 0 && members >= 1 && hiddenUnits % members == 0 && secondHiddenUnits % members == 0;

    /// <summary>Gets the width the output layer reads: the last hidden layer, or the input itself when there is none (a linear softmax model).</summary>
    internal int OutputInputs => SecondHiddenUnits > 0 ? SecondHiddenUnits : HiddenUnits == 0 ? InputSize : HiddenUnits;

    /// <summary>Gets the length of the scratch buffer <see cref="Forward"/> needs for the hidden layers.</summary>
    internal int HiddenBufferSize => HiddenUnits + SecondHiddenUnits;

    /// <summary>Gets the input width: context frames x mel bands.</summary>
    public int InputSize => ContextFrames * FeatureConstants.MelBands;

    internal float[] SpeechMean { get; }
    internal float[] SpeechVariance { get; }
    internal float[] Mean { get; }
    internal float[] InvStd { get; }
    internal float[] W1 { get; }
    internal float[] B1 { get; }
    internal float[] Wm { get; }
    internal float[] Bm { get; }
    internal float[] W2 { get; }
    internal float[] B2 { get; }

    /// <summary>Runs the network: <paramref name="input"/> (normalised, <see cref="InputSize"/>) -> class probabilities; <paramref name="hidden"/> is <see cref="HiddenBufferSize"/> long.</summary>
    internal void Forward(ReadOnlySpan<float> input, Span<float> hidden, Span<float> probabilities)
    {
        var p = probabilities[..ClassCount];
        if (HiddenUnits == 0)
        {
            DenseMath.Affine(W2, B2, input[..InputSize], p);
            DenseMath.Softmax(p);
            return;
        }
        var h = hidden[..HiddenUnits];
        DenseMath.Affine(W1, B1, input[..InputSize], h);
        DenseMath.Relu(h);
        if (SecondHiddenUnits > 0)
        {
            // Member by member: the blocks off the diagonal are zero, so they are neither stored nor multiplied.
            int from = HiddenUnits / Members, to = SecondHiddenUnits / Members;
            var h2 = hidden.Slice(HiddenUnits, SecondHiddenUnits);
            for (int k = 0; k < Members; k++)
            {
                DenseMath.Affine(Wm.AsSpan(k * to * from, to * from), Bm.AsSpan(k * to, to), h.Slice(k * from, from), h2.Slice(k * to, to));
            }
            DenseMath.Relu(h2);
            h = h2;
        }
        DenseMath.Affine(W2, B2, h, p);
        DenseMath.Softmax(p);
    }

    /// <summary>The plain form of <see cref="Forward"/> (one dot product per row): the oracle of the tests and the baseline of the speed figure.</summary>
    internal void ForwardReference(ReadOnlySpan<float> input, Span<float> hidden, Span<float> probabilities)
    {
        int inputSize = InputSize;
        for (int h = 0; h < HiddenUnits; h++)
        {
            float z = B1[h];
            for (int i = 0; i < inputSize; i++) z += W1[h * inputSize + i] * input[i];
            hidden[h] = z > 0 ? z : 0;
        }
        int from = SecondHiddenUnits > 0 ? HiddenUnits / Members : 0, to = SecondHiddenUnits > 0 ? SecondHiddenUnits / Members : 0;
        for (int u = 0; u < SecondHiddenUnits; u++)
        {
            int k = u / to;
            float z = Bm[u];
            for (int i = 0; i < from; i++) z += Wm[u * from + i] * hidden[k * from + i];
            hidden[HiddenUnits + u] = z > 0 ? z : 0;
        }
        var source = SecondHiddenUnits > 0 ? hidden.Slice(HiddenUnits, SecondHiddenUnits) : HiddenUnits == 0 ? input : hidden;
        int width = OutputInputs;
        for (int c = 0; c < ClassCount; c++)
        {
            float z = B2[c];
            for (int i = 0; i < width; i++) z += W2[c * width + i] * source[i];
            probabilities[c] = z;
        }
        DenseMath.Softmax(probabilities[..ClassCount]);
    }

    /// <summary>Copies the front end's statistics (speech mean and variance, band mean and 1/std) to a network of the same data.</summary>
    internal void CopyFrontEndTo(VisemeNetwork other)
    {
        SpeechMean.CopyTo(other.SpeechMean, 0);
        SpeechVariance.CopyTo(other.SpeechVariance, 0);
        Mean.CopyTo(other.Mean, 0);
        InvStd.CopyTo(other.InvStd, 0);
    }

    /// <summary>Normalises one frame of log-mel bands in place with the trained mean and deviation.</summary>
    internal void Normalise(Span<float> logMel)
    {
        for (int b = 0; b < logMel.Length; b++) logMel[b] = (logMel[b] - Mean[b]) * InvStd[b];
    }

    /// <summary>Gets a short fingerprint of the weights (first hex digits of its SHA-256), used in the model name.</summary>
    /// <returns>Eight hex digits.</returns>
    public string Fingerprint()
    {
        using var ms = new MemoryStream();
        Save(ms);
        return Convert.ToHexStringLower(SHA256.HashData(ms.ToArray()))[..8];
    }

    /// <summary>Writes the weights in the format described in the remarks.</summary>
    /// <param name="stream">The destination.</param>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        // Without a second hidden layer the file is version 4, and without a noise floor either version 3, byte for byte what
        // it was before they existed, so such weights keep their fingerprint (the model's name in every record).
        int version = SecondHiddenUnits > 0 ? FormatVersion : NoiseFloorDb > 0 ? 4 : 3;
        Span<byte> header = stackalloc byte[HeaderBytes(version)];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], version);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], ContextFrames);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], FeatureConstants.MelBands);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], HiddenUnits);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], ClassCount);
        if (version >= 4) BinaryPrimitives.WriteInt32LittleEndian(header[24..], NoiseFloorDb);
        if (version >= 5)
        {
            BinaryPrimitives.WriteInt32LittleEndian(header[28..], SecondHiddenUnits);
            BinaryPrimitives.WriteInt32LittleEndian(header[32..], Members);
        }
        stream.Write(header);
        foreach (var array in new[] { SpeechMean, SpeechVariance, Mean, InvStd, W1, B1, Wm, Bm, W2, B2 })
        {
            var bytes = new byte[array.Length * 4];
            for (int i = 0; i < array.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), array[i]);
            stream.Write(bytes);
        }
    }

    /// <summary>Reads a weights file written by <see cref="Save"/>; a malformed one is reported with its path.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The network.</returns>
    /// <exception cref="InvalidDataException">The file is not viseme weights of a supported version, or is truncated; the message names it.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static VisemeNetwork Load(string path)
    {
        using var file = File.OpenRead(path);
        try
        {
            return Load(file);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads weights written by <see cref="Save"/>.</summary>
    /// <param name="stream">The source.</param>
    /// <returns>The network.</returns>
    /// <exception cref="InvalidDataException">The data is not a viseme weights file of this version, or is truncated or holds non-finite values.</exception>
    public static VisemeNetwork Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[24];
        ReadExactly(stream, header, "header");
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic) throw new InvalidDataException("not a viseme weights file (magic 'KVSV' missing)");
        int version = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        if (version is < 3 or > FormatVersion) throw new InvalidDataException($"viseme weights format version {version} is not supported (expected 3..{FormatVersion}; weights of another version are retrained with train-model)");
        int context = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        int bands = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        int hidden = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        int classes = BinaryPrimitives.ReadInt32LittleEndian(header[20..]);
        if (bands != FeatureConstants.MelBands) throw new InvalidDataException($"weights were trained on {bands} mel bands; this front end has {FeatureConstants.MelBands}");
        if (classes != ClassCount) throw new InvalidDataException($"weights have {classes} classes; expected {ClassCount}");
        // Version 4 adds the noise floor, version 5 the second hidden layer and its members.
        Span<byte> more = stackalloc byte[HeaderBytes(FormatVersion) - 24];
        more = more[..(HeaderBytes(version) - 24)];
        ReadExactly(stream, more, "header");
        int noiseFloor = version >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(more) : 0;
        int second = version >= 5 ? BinaryPrimitives.ReadInt32LittleEndian(more[4..]) : 0;
        int members = version >= 5 ? BinaryPrimitives.ReadInt32LittleEndian(more[8..]) : 1;
        if (context is < 1 or > 32 || hidden is < 0 or > MaxHiddenUnits || !IsValidNoiseFloor(noiseFloor) || !IsValidSecondLayer(hidden, second, members))
        {
            throw new InvalidDataException($"weights header out of range: context {context}, hidden {hidden}, noise floor {noiseFloor} dB, second hidden {second} in {members} members");
        }
        var network = new VisemeNetwork(context, hidden, noiseFloor, second, members);
        foreach (var (array, name) in new[] { (network.SpeechMean, "speechMean"), (network.SpeechVariance, "speechVariance"), (network.Mean, "mean"), (network.InvStd, "invStd"), (network.W1, "W1"), (network.B1, "b1"), (network.Wm, "Wm"), (network.Bm, "bm"), (network.W2, "W2"), (network.B2, "b2") })
        {
            var bytes = new byte[array.Length * 4];
            ReadExactly(stream, bytes, name);
            for (int i = 0; i < array.Length; i++)
            {
                float v = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
                if (!float.IsFinite(v)) throw new InvalidDataException($"weights array {name}[{i}] is not finite");
                array[i] = v;
            }
        }
        return network;
    }

    // The header's length in each version: 24 bytes, then the noise floor (version 4), then the second hidden layer and its members (version 5).
    private static int HeaderBytes(int version) => version switch { 3 => 24, 4 => 28, _ => 36 };

    private static void ReadExactly(Stream stream, Span<byte> buffer, string what)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0) throw new InvalidDataException($"viseme weights file truncated in {what}");
            total += n;
        }
    }
}
