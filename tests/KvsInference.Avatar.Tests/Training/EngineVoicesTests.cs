using System.IO.Compression;
using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class EngineVoicesTests
{
    [Fact]
    public void Texts_OtherLanguage_AreTheCoreTranscriptsTextsInNameOrder()
    {
        var root = Directory.CreateTempSubdirectory("kvsi-engine-");
        try
        {
            var voice = new EngineVoice("festival_xx", SpeechEngine.Festival, "xx_diphone", "xx", "en-us", "festvox-xx") { DocRoot = root.FullName };
            var transcript = Path.Combine(root.FullName, "asterisk-core-sounds-xx", "core-sounds-xx.txt.gz");
            Directory.CreateDirectory(Path.GetDirectoryName(transcript)!);
            using (var gz = new GZipStream(File.Create(transcript), CompressionLevel.Fastest))
            using (var writer = new StreamWriter(gz))
            {
                writer.WriteLine("vm-b: Second text.");
                writer.WriteLine("beep: [beep]");
                writer.WriteLine("vm-a: First text.");
                writer.WriteLine("vm-c: Third text.");
            }

            Assert.Equal(["First text.", "Second text."], voice.Texts(2));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void Texts_TranscriptNotInstalled_ThrowsNamingThePackage()
    {
        var voice = new EngineVoice("festival_xx", SpeechEngine.Festival, "xx_diphone", "xx", "en-us", "festvox-xx") { DocRoot = "/nonexistent" };

        var error = Assert.Throws<InvalidOperationException>(() => voice.Texts(3));

        Assert.Contains("asterisk-core-sounds-xx", error.Message);
    }

    [Fact]
    public void Texts_English_AreTheTrainingCorpus()
    {
        var voice = TrainingRecipe.EngineVoices.First(v => v.Language == "en");

        Assert.Equal(LabelledSpeech.LoadCorpus(TrainingRecipe.TrainCorpus).Take(5), voice.Texts(5));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Speak_UnknownVoiceOrEngineMissing_ThrowsNamingThePackage(bool festival)
    {
        var engine = festival ? SpeechEngine.Festival : SpeechEngine.Flite;
        // Installed or not (scripts/setup-training installs the engines), an unknown voice is a clear error, not silence.
        var voice = new EngineVoice("x", engine, "no_such_voice", "en", "en-us", "festvox-nosuch");

        var error = Assert.Throws<InvalidOperationException>(() => EngineSynthesizer.Speak(voice, 1));

        Assert.Contains("festvox-nosuch", error.Message);
    }

    [Fact]
    public void Escape_QuotesAndBackslashes_AreEscapedForScheme()
    {
        Assert.Equal("say \\\"hi\\\" \\\\ bye", EngineSynthesizer.Escape("say \"hi\" \\ bye"));
    }

    [Fact]
    public void FestivalText_QuotesSlashesAndLonePunctuation_AreDroppedWordsKept()
    {
        Assert.Equal("Переадресация если недоступен.", EngineSynthesizer.FestivalText("Переадресация если «недоступен»."));
        Assert.Equal("Нажмите 1 чтобы отключить включить, 2 чтобы", EngineSynthesizer.FestivalText("Нажмите 1 чтобы отключить / включить, 2 - чтобы"));
        Assert.Equal("all'arrivo del presidente, voce", EngineSynthesizer.FestivalText("all’arrivo del presidente, (voce…"));
    }
}
