using KvsInference.Avatar.Model;

namespace KvsInference.Tests.Model;

public class VisemeNetworkTests
{
    [Fact]
    public void LoadEmbeddedNetwork_ShippedWeights_RoundTripThroughSave()
    {
        var network = VisemeModel.LoadEmbeddedNetwork();
        using var ms = new MemoryStream();
        network.Save(ms);
        // Byte for byte the shipped file: nothing is lost or reordered between train-model's output and what serves.
        var shipped = File.ReadAllBytes(Path.Combine(KvsInference.TestSupport.TestPaths.RepoRoot, "src", "KvsInference.Avatar", "Model", "visemes.weights"));
        Assert.Equal(shipped, ms.ToArray());
        ms.Position = 0;
        var again = VisemeNetwork.Load(ms);
        Assert.Equal(network.Fingerprint(), again.Fingerprint());
        Assert.Equal(network.InputSize, again.InputSize);
    }

    [Fact]
    public void Load_Truncated_ThrowsNamingThePart()
    {
        using var ms = new MemoryStream();
        VisemeModel.LoadEmbeddedNetwork().Save(ms);
        var bytes = ms.ToArray()[..100];
        var e = Assert.Throws<InvalidDataException>(() => VisemeNetwork.Load(new MemoryStream(bytes)));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Load_SavedWithANoiseFloor_KeepsIt()
    {
        using var ms = new MemoryStream();
        new VisemeNetwork(3, 4, noiseFloorDb: 55).Save(ms);
        ms.Position = 0;
        Assert.Equal(55, VisemeNetwork.Load(ms).NoiseFloorDb);
    }

    [Fact]
    public void Save_NoNoiseFloor_WritesVersion3ThatLoadsBack()
    {
        // Weights from before the floor (format version 3, no floor field) keep their bytes, so their fingerprint, the
        // model's name in every record, does not change with this version of the code.
        var network = new VisemeNetwork(3, 4, noiseFloorDb: 0);
        network.W2[5] = 0.25f;
        using var ms = new MemoryStream();
        network.Save(ms);
        var bytes = ms.ToArray();
        Assert.Equal(3, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(24 + 4 * (4 * 26 + 4 * 3 * 26 + 4 + 15 * 4 + 15), bytes.Length);

        var loaded = VisemeNetwork.Load(new MemoryStream(bytes));

        Assert.Equal(0, loaded.NoiseFloorDb);
        Assert.Equal(0.25f, loaded.W2[5]);
        Assert.Equal(network.Fingerprint(), loaded.Fingerprint());
    }

    [Fact]
    public void Load_SavedWithASecondLayer_KeepsItsShapeAndWeights()
    {
        var network = new VisemeNetwork(3, 6, noiseFloorDb: 55, secondHiddenUnits: 4, members: 2);
        network.Wm[11] = 0.5f;
        network.Bm[3] = -0.25f;
        using var ms = new MemoryStream();
        network.Save(ms);
        var bytes = ms.ToArray();
        Assert.Equal(5, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)));
        // Two members of 3 -> 2 units: 12 second-layer weights, not the 24 of a dense 6 -> 4 layer.
        Assert.Equal(36 + 4 * (4 * 26 + 6 * 3 * 26 + 6 + 12 + 4 + 15 * 4 + 15), bytes.Length);

        var loaded = VisemeNetwork.Load(new MemoryStream(bytes));

        Assert.Equal((4, 2, 55), (loaded.SecondHiddenUnits, loaded.Members, loaded.NoiseFloorDb));
        Assert.Equal(0.5f, loaded.Wm[11]);
        Assert.Equal(-0.25f, loaded.Bm[3]);
        Assert.Equal(network.Fingerprint(), loaded.Fingerprint());
    }

    [Fact]
    public void Save_NoSecondLayer_WritesVersion4()
    {
        // Weights from before the second layer keep their bytes, so their fingerprint (the model's name) too.
        using var ms = new MemoryStream();
        new VisemeNetwork(3, 4, noiseFloorDb: 55).Save(ms);
        var bytes = ms.ToArray();

        Assert.Equal(4, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(28 + 4 * (4 * 26 + 4 * 3 * 26 + 4 + 15 * 4 + 15), bytes.Length);
    }

    [Theory]
    [InlineData(4, 4)]    // members that do not divide the layers
    [InlineData(-4, 2)]
    [InlineData(4, 0)]
    public void Load_SecondLayerOutOfRange_ThrowsNamingIt(int secondHidden, int members)
    {
        using var ms = new MemoryStream();
        new VisemeNetwork(3, 6, noiseFloorDb: 55, secondHiddenUnits: 4, members: 2).Save(ms);
        var bytes = ms.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(28), secondHidden);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(32), members);

        var e = Assert.Throws<InvalidDataException>(() => VisemeNetwork.Load(new MemoryStream(bytes)));

        Assert.Contains($"second hidden {secondHidden} in {members} members", e.Message);
    }

    [Fact]
    public void Load_NoiseFloorOutOfRange_ThrowsNamingIt()
    {
        using var ms = new MemoryStream();
        new VisemeNetwork(3, 4, noiseFloorDb: 55).Save(ms);
        var bytes = ms.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(24), 7);

        var e = Assert.Throws<InvalidDataException>(() => VisemeNetwork.Load(new MemoryStream(bytes)));

        Assert.Contains("noise floor 7 dB", e.Message);
    }

    [Fact]
    public void Load_NotWeights_Throws()
    {
        var e = Assert.Throws<InvalidDataException>(() => VisemeNetwork.Load(new MemoryStream(new byte[64])));
        Assert.Contains("KVSV", e.Message);
    }

    [Fact]
    public void LoadDefault_WeightsFileInModelDirectory_IsPreferred()
    {
        var dir = Directory.CreateTempSubdirectory("kvsi-model-").FullName;
        var embedded = VisemeModel.LoadEmbeddedNetwork();
        embedded.B2[0] += 1; // a different network
        using (var f = File.Create(Path.Combine(dir, VisemeModelConstants.WeightsFileName))) embedded.Save(f);
        var model = VisemeModel.LoadDefault(modelDirectory: dir);
        Assert.Equal(embedded.Fingerprint(), model.Network.Fingerprint());
        Assert.NotEqual(VisemeModel.LoadEmbeddedNetwork().Fingerprint(), model.Network.Fingerprint());
    }

    [Theory]
    [InlineData(11, 384, 384, 3)] // the shipped shape: three networks of 128 + 128 units side by side
    [InlineData(11, 384, 0, 1)]   // three one-layer networks of 128 units averaged into one
    [InlineData(3, 7, 0, 1)]      // odd sizes: row and column tails
    [InlineData(3, 14, 10, 2)]
    [InlineData(1, 1, 1, 1)]
    [InlineData(1, 1, 0, 1)]
    [InlineData(11, 0, 0, 1)]     // no hidden layer: a linear softmax model
    public void Forward_AnyShape_MatchesThePlainReference(int context, int hidden, int secondHidden, int members)
    {
        var network = new VisemeNetwork(context, hidden, noiseFloorDb: 0, secondHidden, members);
        var rng = new Random(context * 100 + hidden + secondHidden);
        foreach (var array in new[] { network.W1, network.B1, network.Wm, network.Bm, network.W2, network.B2 })
        {
            for (int i = 0; i < array.Length; i++) array[i] = (float)(rng.NextDouble() * 2 - 1) * 0.3f;
        }
        var input = Enumerable.Range(0, network.InputSize).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        int classes = VisemeNetwork.ClassCount, units = network.HiddenBufferSize;
        float[] hiddenFast = new float[units], hiddenPlain = new float[units], fast = new float[classes], plain = new float[classes];
        network.Forward(input, hiddenFast, fast);
        network.ForwardReference(input, hiddenPlain, plain);
        for (int u = 0; u < units; u++) Assert.Equal(hiddenPlain[u], hiddenFast[u], 1e-4f);
        for (int c = 0; c < classes; c++) Assert.Equal(plain[c], fast[c], 1e-5f);
        Assert.Equal(1f, fast.Sum(), 1e-5f);
    }
}
