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

    private static byte[] TrainInProcess(int seed)
    {
        // espeak-ng keeps synthesizer state between utterances, so reproducibility is per fresh process, as the command runs.
        var configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        var dll = Path.Combine(KvsInference.TestSupport.TestPaths.RepoRoot, "src", "KvsInference.Worker", "bin", configuration, "net10.0", "KvsInference.Worker.dll");
        var output = Path.Combine(KvsInference.TestSupport.TestPaths.Scratch, $"tiny-{seed}-{Guid.NewGuid():N}.weights");
        KvsInference.TestSupport.ProcessRunner.Run("dotnet", [dll, "train-model", "-o", output, "--seed", seed.ToString(), "--epochs", "2",
            "--hidden", "8", "--max-voices", "2", "--max-sentences", "4"]);
        return File.ReadAllBytes(output);
    }

    [Fact]
    public void TrainModelCommand_SameSeed_GivesIdenticalWeights()
    {
        var first = TrainInProcess(5);
        Assert.Equal(first, TrainInProcess(5));
        Assert.NotEqual(first, TrainInProcess(6));
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
