using KvsInference.Avatar.Model;
using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class VisemeTrainerTests
{
    private static byte[] TrainTiny(int seed)
    {
        var network = VisemeTrainer.Train(new VisemeTrainerOptions { Seed = seed, MaxVoices = 2, MaxSentences = 6, Epochs = 3, HiddenUnits = 16 });
        using var ms = new MemoryStream();
        network.Save(ms);
        return ms.ToArray();
    }

    [Fact]
    public void Train_SameSeed_GivesIdenticalWeights()
    {
        var first = TrainTiny(5);
        Assert.Equal(first, TrainTiny(5));
        Assert.NotEqual(first, TrainTiny(6));
    }

    [Fact]
    public void Train_TinyRecipe_BeatsTheMajorityClassOnHeldOutSpeech()
    {
        using var ms = new MemoryStream(TrainTiny(5));
        var model = new VisemeModel(VisemeNetwork.Load(ms));
        var result = VisemeEvaluator.Evaluate(model, maxSentences: 3, maxVoices: 1);
        long majority = Enumerable.Range(0, 6).Max(r => Enumerable.Range(0, 6).Sum(c => result.Confusion[r, c]));
        Assert.True(result.Accuracy > (double)majority / result.Frames + 0.1, $"accuracy {result.Accuracy:P1}, majority class {(double)majority / result.Frames:P1}");
    }
}
