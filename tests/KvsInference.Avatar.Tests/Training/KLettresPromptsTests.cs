using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class KLettresPromptsTests
{
    [Fact]
    public void Load_SoundsXml_DecodesEachListedRecordingWithItsNameAsText()
    {
        // A KLettres language as klettres-data lays it out: sounds.xml names each sound's text and its Ogg Vorbis file
        // (44.1 kHz), relative to the root; one listed file is missing (as Indonesian lists files it does not ship).
        var root = Directory.CreateTempSubdirectory("kvsi-klettres-");
        try
        {
            var speaker = new KLettresSpeaker("klettres_xx", "xx", "en-us") { Root = root.FullName };
            Directory.CreateDirectory(Path.Combine(root.FullName, "xx", "alpha"));
            Directory.CreateDirectory(Path.Combine(root.FullName, "xx", "syllab"));
            File.WriteAllText(speaker.SoundsXml, """
                <klettres><language code="xx">
                  <alphabet>
                    <sound name="B" file="xx/alpha/b.ogg" />
                    <sound name="C" file="xx/alpha/c.ogg" />
                  </alphabet>
                  <syllables>
                    <sound name="MAMA" file="xx/syllab/mama.ogg" />
                  </syllables>
                </language></klettres>
                """);
            // "bee" padded with a second of silence on each side, as KLettres pads its letters to 2 s: cut to a quarter second.
            var bee = LabelledSpeech.Synthesize("bee", new SpeechVoice("en-us", 150, 50), 16000, 16000).Pcm;
            var mama = LabelledSpeech.Synthesize("mama", new SpeechVoice("en-us+f3", 150, 60), 1600, 1600).Pcm;
            RecordedPromptsTests.Encode(bee, Path.Combine(root.FullName, "xx", "alpha", "b.ogg"), "-ar", "44100", "-c:a", "libvorbis");
            RecordedPromptsTests.Encode(mama, Path.Combine(root.FullName, "xx", "syllab", "mama.ogg"), "-ar", "44100", "-c:a", "libvorbis");

            var prompts = KLettresPrompts.Load(speaker);

            Assert.Equal(["klettres_xx/b", "klettres_xx/mama"], prompts.Select(p => p.Name));
            Assert.Equal(["b", "mama"], prompts.Select(p => p.Text));
            // Each decoded to 16 kHz at its own length (within 20 ms) less the silence beyond a quarter second, not silent.
            Assert.InRange(prompts[0].Pcm.Length, bee.Length - 32000 + 2 * RecordedPrompts.MarginSamples - 1600, bee.Length - 32000 + 2 * RecordedPrompts.MarginSamples + 320);
            Assert.InRange(prompts[1].Pcm.Length, mama.Length - 320, mama.Length + 320);
            Assert.All(prompts, p => Assert.True(p.Pcm.Max(s => Math.Abs((int)s)) > 1000, $"{p.Name} decoded silent"));
            Assert.Single(KLettresPrompts.Load(speaker, maxPrompts: 1));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void Load_NotInstalled_SaysWhichPackage()
    {
        var speaker = new KLettresSpeaker("klettres_xx", "xx", "en-us") { Root = "/nonexistent/klettres" };

        var e = Assert.Throws<InvalidOperationException>(() => KLettresPrompts.Load(speaker));

        Assert.Contains("apt-get install klettres-data", e.Message);
        Assert.Contains("/nonexistent/klettres/xx/sounds.xml", e.Message);
    }
}
