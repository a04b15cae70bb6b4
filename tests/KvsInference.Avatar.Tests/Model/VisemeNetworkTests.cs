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
        Assert.InRange(ms.Length, 1000, 200 * 1024);
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
}
