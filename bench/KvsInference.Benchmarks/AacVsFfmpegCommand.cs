using System.Diagnostics;
using KvsInference.Audio.Aac;

namespace KvsInference.Benchmarks;

/// <summary>
/// `aac-vs-ffmpeg [repeats]`: in one run, decodes a 60 s AAC-LC 48 kHz stereo file to 16 kHz mono with
/// <see cref="AacDecoder"/> (in process, one thread) and times `ffmpeg -i f -ac 1 -ar 16000 -f s16le -y /dev/null`
/// on the same file; prints x real time per core (CPU time) for both, the ratio, and managed bytes allocated per packet.
/// </summary>
internal static class AacVsFfmpegCommand
{
    public static int Run(string[] args)
    {
        int repeats = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5;
        if (!AacDecoder.IsAvailable)
        {
            Console.Error.WriteLine(AacDecoder.UnavailableReason);
            return 2;
        }
        string file = AacMedia.MakeFile();
        var (asc, packets) = AacMedia.ReadAdts(file);
        double audioSeconds = packets.Count * 1024 / 48000.0;

        using var decoder = AacDecoder.Create(asc, 16000, mono: true);
        var output = new short[decoder.MaxSamplesPerPacket];
        DecodeAll(decoder, packets, output); // warm-up (JIT, library pages)
        double best = double.MaxValue;
        long allocated = 0;
        for (int r = 0; r < repeats; r++)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            long before = GC.GetAllocatedBytesForCurrentThread();
            var sw = Stopwatch.StartNew();
            DecodeAll(decoder, packets, output);
            sw.Stop();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            // One thread: the smaller of wall and CPU time is the per-core cost (CPU time includes GC/tiering threads).
            best = Math.Min(best, Math.Min(sw.Elapsed.TotalSeconds, cpuSeconds));
        }

        double ffBest = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            var psi = new ProcessStartInfo("ffmpeg") { UseShellExecute = false, RedirectStandardError = true };
            foreach (var a in new[] { "-hide_banner", "-loglevel", "error", "-threads", "1", "-i", file, "-ac", "1", "-ar", "16000", "-f", "s16le", "-y", "/dev/null" })
            {
                psi.ArgumentList.Add(a);
            }
            double childrenBefore = ChildrenCpuSeconds();
            using var p = Process.Start(psi)!;
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"ffmpeg exited {p.ExitCode}");
            // CPU time of the whole reaped process (user + system) = time per core, including its start-up.
            ffBest = Math.Min(ffBest, ChildrenCpuSeconds() - childrenBefore);
        }

        double ours = audioSeconds / best, ff = audioSeconds / ffBest;
        Console.WriteLine($"file: {file} ({audioSeconds:F1} s AAC-LC 48 kHz stereo, {packets.Count} packets, best of {repeats})");
        Console.WriteLine($"{decoder.Name}");
        Console.WriteLine($"AacDecoder -> 16 kHz mono: {best * 1000:F1} ms, {ours:F0}x real time per core, {allocated / (double)packets.Count:F2} B allocated per packet");
        Console.WriteLine($"ffmpeg -ac 1 -ar 16000:     {ffBest * 1000:F1} ms CPU, {ff:F0}x real time per core");
        Console.WriteLine($"ratio AacDecoder / ffmpeg: {ours / ff:F2}");
        return 0;
    }

    // getrusage(RUSAGE_CHILDREN): user and system time of reaped children (Process.TotalProcessorTime is gone after exit).
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getrusage")]
    private static extern unsafe int GetRUsage(int who, long* usage);

    private static unsafe double ChildrenCpuSeconds()
    {
        long* usage = stackalloc long[18]; // struct rusage: ru_utime, ru_stime (timeval: seconds, microseconds), then 14 longs
        if (GetRUsage(-1, usage) != 0) throw new InvalidOperationException("getrusage failed");
        return usage[0] + usage[1] / 1e6 + usage[2] + usage[3] / 1e6;
    }

    private static void DecodeAll(AacDecoder decoder, List<byte[]> packets, short[] output)
    {
        foreach (var packet in packets) decoder.Decode(packet, output);
        decoder.Drain(output);
    }
}
