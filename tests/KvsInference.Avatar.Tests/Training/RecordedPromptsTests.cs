using System.Diagnostics;
using System.IO.Compression;
using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class RecordedPromptsTests
{
    [Fact]
    public void Load_GsmPromptSet_DecodesEachPromptToTheLengthOfItsFile()
    {
        // An older asterisk-prompt-* set: 8 kHz raw GSM files named as in the core set's transcript, one name without a file.
        var root = Directory.CreateTempSubdirectory("kvsi-prompts-");
        try
        {
            var speaker = new RecordedSpeaker("xx_XX_f_Test", "xx", "en-us", PromptCodec.Gsm, "asterisk-prompt-xx-test")
            {
                SoundsRoot = Path.Combine(root.FullName, "sounds"),
                DocRoot = Path.Combine(root.FullName, "doc"),
            };
            Directory.CreateDirectory(speaker.SoundsDirectory);
            Directory.CreateDirectory(Path.GetDirectoryName(speaker.TranscriptPath)!);
            using (var gz = new GZipStream(File.Create(speaker.TranscriptPath), CompressionLevel.Fastest))
            using (var writer = new StreamWriter(gz))
            {
                writer.WriteLine("; a comment");
                writer.WriteLine("agent-pass: Please enter your password.");
                writer.WriteLine("vm-goodbye: Goodbye.");
                writer.WriteLine("vm-missing: There is no file for this one.");
                writer.WriteLine("vm-no: No.");
            }
            var passSpeech = LabelledSpeech.Synthesize("Please enter your password.", new SpeechVoice("en-us", 160, 50), 1600, 1600);
            var byeSpeech = LabelledSpeech.Synthesize("Goodbye.", new SpeechVoice("en-us+f3", 160, 50), 1600, 1600);
            EncodeGsm(passSpeech.Pcm, Path.Combine(speaker.SoundsDirectory, "agent-pass.gsm"));
            EncodeGsm(byeSpeech.Pcm, Path.Combine(speaker.SoundsDirectory, "vm-goodbye.gsm"));
            // A short file whose GSM bits happen to look like an MPEG audio frame header, as some of Menardi's digits do:
            // ffmpeg's probe takes it for MP3 ("invalid data") however it is named.
            var noSpeech = LabelledSpeech.Synthesize("No.", new SpeechVoice("en-us", 200, 50));
            var noPath = Path.Combine(speaker.SoundsDirectory, "vm-no.gsm");
            EncodeGsm(noSpeech.Pcm, noPath);
            var noBytes = File.ReadAllBytes(noPath);
            noBytes[34] = 0xFF; // inside the second frame, after its 0xD magic nibble: still a valid GSM frame
            noBytes[35] = 0xFB;
            noBytes[36] = 0x90;
            noBytes[37] = 0x64;
            File.WriteAllBytes(noPath, noBytes);

            var prompts = RecordedPrompts.Load(speaker);

            Assert.Equal(["agent-pass", "vm-goodbye", "vm-no"], prompts.Select(p => p.Name));
            Assert.Equal("Please enter your password.", prompts[0].Text);
            for (int i = 0; i < 3; i++)
            {
                var file = new FileInfo(Path.Combine(speaker.SoundsDirectory, prompts[i].Name + ".gsm"));
                Assert.Equal(file.Length / 33 * 320, prompts[i].Pcm.Length);
                // Each prompt holds its own speech (not its neighbour's): lengths within 20 ms of the 16 kHz source.
                var source = (new[] { passSpeech.Pcm, byeSpeech.Pcm, noSpeech.Pcm })[i];
                Assert.InRange(prompts[i].Pcm.Length, source.Length - 320, source.Length + 640);
                Assert.True(prompts[i].Pcm.Max(s => Math.Abs((int)s)) > 1000, "decoded speech is not silent");
            }
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void AlignCheckedText_TextMuchLongerThanTheRecording_IsSkipped()
    {
        var speaker = new RecordedSpeaker("xx_XX_f_Test", "en", "en-us", PromptCodec.Gsm, "asterisk-prompt-xx-test");
        var pcm = LabelledSpeech.Synthesize("Goodbye.", new SpeechVoice("en-us+f3", 150, 60), 4000, 4000).Pcm;
        using var aligner = new PhoneAligner();
        int unknown = 0;

        var matching = VisemeTrainer.AlignCheckedText(new RecordedPrompt("vm-goodbye", "Goodbye.", pcm), speaker.EspeakVoice, aligner, ref unknown);
        var other = VisemeTrainer.AlignCheckedText(
            new RecordedPrompt("vm-goodbye", "Your call is important to us, please stay on the line and an agent will answer shortly.", pcm), speaker.EspeakVoice, aligner, ref unknown);
        var noAligner = VisemeTrainer.AlignCheckedText(new RecordedPrompt("vm-goodbye", "Goodbye.", pcm), speaker.EspeakVoice, null, ref unknown);

        Assert.NotNull(matching);
        Assert.Null(other);
        Assert.Null(noAligner);
    }

    private static void EncodeGsm(short[] pcm16k, string path) => Encode(pcm16k, path, "-ar", "8000", "-c:a", "libgsm", "-f", "gsm");

    /// <summary>Encodes 16 kHz PCM to <paramref name="path"/> with ffmpeg's output options <paramref name="output"/>.</summary>
    internal static void Encode(short[] pcm16k, string path, params string[] output)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-nostdin", "-v", "error", "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", "pipe:0", .. output, "-y", path]) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(pcm16k.AsSpan()).ToArray();
        process.StandardInput.BaseStream.Write(bytes);
        process.StandardInput.Close();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr.Result);
    }
}
