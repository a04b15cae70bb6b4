using KvsInference.Avatar.Model;
using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class VisemeTrainerTests
{
    private static byte[] TrainTiny(int seed)
    {
        // espeak-ng voices and the first prompts of one recorded training speaker would need scripts/setup-training; the
        // espeak-ng part alone runs everywhere scripts/setup ran (the flite and Festival voices are installed by setup-training too).
        return Save(VisemeTrainer.Train(new VisemeTrainerOptions { Seed = seed, MaxVoices = 3, MaxSentences = 12, MaxSpeakers = 0, MaxEngineVoices = 0, Epochs = 4, HiddenUnits = 16 }));
    }

    private static byte[] Save(VisemeNetwork network)
    {
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
            "--hidden", "8", "--max-voices", "2", "--max-sentences", "4", "--max-speakers", "0", "--max-engine-voices", "0"]);
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
        var rows = VisemeEvaluator.Evaluate(model, maxPrompts: 3, maxSentences: 3);
        var espeak = rows.Single(r => r.Engine == "espeak-ng" && r.Voice == "all");
        // Silence is the majority class of these frames (about a third); a model that learnt nothing scores about that.
        Assert.True(espeak.Accuracy > 0.5, $"accuracy {espeak.Accuracy:P1}");
    }

    /// <summary>Runs <paramref name="test"/> with the tiny recipe's options and a feature cache in the scratch folder, deleted after.</summary>
    private static void WithFeatureCache(Action<VisemeTrainerOptions> test)
    {
        var cache = Path.Combine(KvsInference.TestSupport.TestPaths.Scratch, $"features-{Guid.NewGuid():N}.bin");
        try
        {
            test(new VisemeTrainerOptions { Seed = 5, MaxVoices = 3, MaxSentences = 12, MaxSpeakers = 0, MaxEngineVoices = 0, Epochs = 4, HiddenUnits = 16, FeatureCache = cache });
        }
        finally
        {
            File.Delete(cache);
        }
    }

    [Fact]
    public void Train_FromFeatureCache_GivesTheWeightsOfARunWithoutIt() => WithFeatureCache(options =>
    {
        var written = Save(VisemeTrainer.Train(options));
        var read = Save(VisemeTrainer.Train(options));

        Assert.True(File.Exists(options.FeatureCache));
        Assert.Equal(written, read);
        // Other data options with the same file: an error naming both, not the stale features.
        options.MaxSentences = 11;
        var error = Assert.Throws<InvalidOperationException>(() => VisemeTrainer.Train(options));
        Assert.Contains("sentences 11", error.Message);
    });

    [Fact]
    public void Train_FitSeedWithFeatureCache_RefitsTheSameDataWithItsOwnSequence() => WithFeatureCache(options =>
    {
        var first = Save(VisemeTrainer.Train(options));

        // The seed itself as the fit seed is the cache's own sequence; another one is another fit of the same data.
        options.FitSeed = 5;
        Assert.Equal(first, Save(VisemeTrainer.Train(options)));
        options.FitSeed = 6;
        var other = VisemeTrainer.Train(options);
        Assert.NotEqual(first, Save(other));
        using var ms = new MemoryStream(first);
        var network = VisemeNetwork.Load(ms);
        // The data's normalisation is the same: only the fit differs.
        Assert.Equal(network.Mean, other.Mean);
        Assert.Equal(network.SpeechVariance, other.SpeechVariance);
    });

    [Fact]
    public void Train_WarmShareWithFeatureCache_NormalisesTheSameUtterancesByTheirOwnStatistics() => WithFeatureCache(options =>
    {
        options.WarmShare = 0;
        var fresh = VisemeTrainer.Train(options);
        options.WarmShare = 1;
        var warm = VisemeTrainer.Train(options);

        // The reference speech statistics come from the same utterances; the features the classifier sees do not: a
        // warm utterance starts with its own level and spectrum in the normaliser, not the training mean.
        Assert.Equal(fresh.SpeechMean, warm.SpeechMean);
        Assert.NotEqual(fresh.Mean, warm.Mean);
        Assert.NotEqual(Save(fresh), Save(warm));
    });

    [Fact]
    public void Train_MoreSentencesThanTheValidationSplitLeaves_ThrowsNamingTheLimit()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => VisemeTrainer.Train(new VisemeTrainerOptions { MaxSentences = VisemeTrainerOptions.MaxTrainSentences + 1 }));

        Assert.Contains("MaxSentences must be in 1..125", error.Message);
    }

    [Theory]
    [InlineData(4, 0)]
    [InlineData(4, 3)]   // two hidden layers: the members stay side by side in the second
    [InlineData(0, 0)]   // linear members
    public void AddMember_TwoNetworks_GivesTheSoftmaxOfTheirMeanLogits(int hidden, int secondHidden)
    {
        var rng = new Random(hidden + secondHidden + 1);
        var members = new[] { new VisemeNetwork(3, hidden, noiseFloorDb: 0, secondHidden), new VisemeNetwork(3, hidden, noiseFloorDb: 0, secondHidden) };
        foreach (var member in members)
        {
            foreach (var array in new[] { member.W1, member.B1, member.Wm, member.Bm, member.W2, member.B2 })
            {
                for (int i = 0; i < array.Length; i++) array[i] = (float)(rng.NextDouble() * 2 - 1);
            }
        }
        var ensemble = new VisemeNetwork(3, hidden * 2, noiseFloorDb: 0, secondHidden * 2, secondHidden > 0 ? 2 : 1);
        for (int k = 0; k < 2; k++) VisemeTrainer.AddMember(ensemble, members[k], k, 2);
        var input = Enumerable.Range(0, ensemble.InputSize).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        int classes = VisemeNetwork.ClassCount;
        var p = members.Select(m =>
        {
            var probabilities = new float[classes];
            m.Forward(input, new float[m.HiddenBufferSize], probabilities);
            return probabilities;
        }).ToArray();
        var averaged = new float[classes];
        ensemble.Forward(input, new float[ensemble.HiddenBufferSize], averaged);

        // softmax(mean of logits) is the normalised geometric mean of the members' probabilities.
        var geometric = Enumerable.Range(0, classes).Select(c => Math.Sqrt((double)p[0][c] * p[1][c])).ToArray();
        double sum = geometric.Sum();
        for (int c = 0; c < classes; c++) Assert.Equal(geometric[c] / sum, averaged[c], 1e-5);
    }

    [Fact]
    public void Train_EnsembleOfTwo_IsOneNetworkOfBothWidths()
    {
        var network = VisemeTrainer.Train(new VisemeTrainerOptions { Seed = 5, MaxVoices = 2, MaxSentences = 4, MaxSpeakers = 0, MaxEngineVoices = 0, Epochs = 2, HiddenUnits = 8, EnsembleSize = 2 });

        Assert.Equal((16, 256, 2), (network.HiddenUnits, network.SecondHiddenUnits, network.Members));
        // Both members were fitted: neither half of either hidden layer is still zero.
        Assert.Contains(network.W1.Take(8 * network.InputSize), w => w != 0);
        Assert.Contains(network.W1.Skip(8 * network.InputSize), w => w != 0);
        Assert.Contains(network.Wm.Take(128 * 8), w => w != 0);
        Assert.Contains(network.Wm.Skip(128 * 8), w => w != 0);
    }

    [Theory]
    [InlineData(0, 128, 128)]
    [InlineData(9, 8, 8)]
    [InlineData(3, 512, 0)]
    [InlineData(3, 128, 512)]
    [InlineData(1, 0, 128)]   // a second hidden layer without a first
    public void Train_EnsembleOutOfRange_ThrowsNamingIt(int size, int hidden, int secondHidden)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => VisemeTrainer.Train(new VisemeTrainerOptions { EnsembleSize = size, HiddenUnits = hidden, SecondHiddenUnits = secondHidden }));

        Assert.Contains("EnsembleSize must be in 1..8, HiddenUnits and SecondHiddenUnits x EnsembleSize at most 1024, and a second hidden layer needs a first", error.Message);
    }

    [Theory]
    [InlineData(nameof(VisemeTrainerOptions.InputDropout), 1.0, "InputDropout must be at least 0 and below 1")]
    [InlineData(nameof(VisemeTrainerOptions.InputDropout), -0.1, "InputDropout must be at least 0 and below 1")]
    [InlineData(nameof(VisemeTrainerOptions.WarmShare), 1.5, "WarmShare must be in 0..1")]
    [InlineData(nameof(VisemeTrainerOptions.WarmShare), -0.1, "WarmShare must be in 0..1")]
    public void Train_ShareOutOfRange_ThrowsNamingIt(string share, double value, string expected)
    {
        var options = share == nameof(VisemeTrainerOptions.WarmShare) ? new VisemeTrainerOptions { WarmShare = value } : new VisemeTrainerOptions { InputDropout = value };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => VisemeTrainer.Train(options));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Train_UnknownHoldOutName_ThrowsListingTheSources()
    {
        var error = Assert.Throws<ArgumentException>(() => VisemeTrainer.Train(new VisemeTrainerOptions { HoldOut = new HashSet<string> { "nobody" } }));

        Assert.Contains("nobody", error.Message);
        Assert.Contains("en_US_f_Allison", error.Message);
    }
}
