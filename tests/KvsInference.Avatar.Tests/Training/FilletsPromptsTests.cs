using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class FilletsPromptsTests
{
    [Fact]
    public void Load_DialogsAndSounds_DecodesTheVoicesLinesWithTheirTexts()
    {
        // Two levels as fillets-ng-data lays them out: script/LEVEL/dialogs_xx.lua names each line's id, font and text;
        // sound/LEVEL/xx/ID.ogg is its recording (22.05 kHz Ogg Vorbis). One line has no sound; one is another voice's.
        var root = Directory.CreateTempSubdirectory("kvsi-fillets-");
        try
        {
            var big = new FilletsSpeaker("fillets_xx_big", "xx", "font_big", "en-us") { Root = root.FullName };
            foreach (var level in new[] { "bathroom", "airplane" })
            {
                Directory.CreateDirectory(Path.Combine(root.FullName, "script", level));
                Directory.CreateDirectory(Path.Combine(root.FullName, "sound", level, "xx"));
            }
            File.WriteAllText(Path.Combine(root.FullName, "script", "airplane", "dialogs_xx.lua"), """

                dialogId("let-v-mama", "font_big", "Mum.")
                dialogStr("mama")


                dialogId("let-m-bee", "font_small", "A bee.")
                dialogStr("bee")


                dialogId("let-v-gone", "font_big", "No sound for this one.")
                dialogStr("gone")
                """);
            File.WriteAllText(Path.Combine(root.FullName, "script", "bathroom", "dialogs_xx.lua"), """
                dialogId("koup-v-say", "font_big", "He said \"boo\".")
                dialogStr("he said \"boo\"")
                """);
            var mama = LabelledSpeech.Synthesize("mama", new SpeechVoice("en-us", 150, 40), 8000, 8000).Pcm;
            var bee = LabelledSpeech.Synthesize("bee", new SpeechVoice("en-us+f3", 150, 60), 1600, 1600).Pcm;
            var boo = LabelledSpeech.Synthesize("he said boo", new SpeechVoice("en-us", 150, 40), 1600, 1600).Pcm;
            RecordedPromptsTests.Encode(mama, Path.Combine(root.FullName, "sound", "airplane", "xx", "let-v-mama.ogg"), "-ar", "22050", "-c:a", "libvorbis");
            RecordedPromptsTests.Encode(bee, Path.Combine(root.FullName, "sound", "airplane", "xx", "let-m-bee.ogg"), "-ar", "22050", "-c:a", "libvorbis");
            RecordedPromptsTests.Encode(boo, Path.Combine(root.FullName, "sound", "bathroom", "xx", "koup-v-say.ogg"), "-ar", "22050", "-c:a", "libvorbis");

            var prompts = FilletsPrompts.Load(big);

            // Levels in ordinal order, the big fish's lines only, the Lua escapes undone.
            Assert.Equal(["fillets_xx_big/airplane/let-v-mama", "fillets_xx_big/bathroom/koup-v-say"], prompts.Select(p => p.Name));
            Assert.Equal(["mama", "he said \"boo\""], prompts.Select(p => p.Text));
            // Half a second of silence each side of "mama" is cut to a quarter second; the rest is decoded at its length.
            Assert.InRange(prompts[0].Pcm.Length, mama.Length - 16000 + 2 * RecordedPrompts.MarginSamples - 1600, mama.Length - 16000 + 2 * RecordedPrompts.MarginSamples + 320);
            Assert.All(prompts, p => Assert.True(p.Pcm.Max(s => Math.Abs((int)s)) > 1000, $"{p.Name} decoded silent"));
            Assert.Single(FilletsPrompts.Load(big, maxPrompts: 1));

            var others = new FilletsSpeaker("fillets_xx_others", "xx", FilletsSpeaker.OtherFonts, "en-us") { Root = root.FullName };
            Assert.Empty(FilletsPrompts.Load(others));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void Says_OtherFonts_TakesEveryCharacterButTheFish()
    {
        var others = new FilletsSpeaker("fillets_cs_others", "cs", FilletsSpeaker.OtherFonts, "cs");

        Assert.True(others.Says("font_parrot"));
        Assert.True(others.Says(""));
        Assert.False(others.Says("font_big"));
        Assert.False(others.Says("font_small"));
    }

    [Fact]
    public void Load_NotInstalled_SaysWhichPackages()
    {
        var speaker = new FilletsSpeaker("fillets_xx_big", "xx", "font_big", "en-us") { Root = "/nonexistent/fillets-ng" };

        var e = Assert.Throws<InvalidOperationException>(() => FilletsPrompts.Load(speaker));

        Assert.Contains("apt-get install fillets-ng-data fillets-ng-data-xx", e.Message);
        Assert.Contains("/nonexistent/fillets-ng/script", e.Message);
    }
}
