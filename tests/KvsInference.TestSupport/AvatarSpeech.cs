namespace KvsInference.TestSupport;

/// <summary>Speech files for the avatar tests, spoken by the espeak-ng command line (cached per run).</summary>
public static class AvatarSpeech
{
    private static readonly Lock Gate = new();

    /// <summary>Speaks <paramref name="text"/> to a 22.05 kHz mono WAV in <see cref="TestPaths.Scratch"/> and returns its path.</summary>
    public static string Wav(string text, string voice = "en-us")
    {
        var path = Path.Combine(TestPaths.Scratch, $"speech-{voice}-{(uint)text.GetHashCode():x8}.wav");
        lock (Gate)
        {
            if (!File.Exists(path)) ProcessRunner.Run("espeak-ng", ["-v", voice, "-w", path, text]);
        }
        return path;
    }
}
