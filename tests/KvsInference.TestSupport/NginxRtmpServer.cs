using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KvsInference.TestSupport;

/// <summary>
/// A local RTMP server for tests: Debian's nginx with libnginx-mod-rtmp, on 127.0.0.1 and a free port, recording every
/// published stream as FLV (one file per publish) into its own temp folder. Its config is written here; nothing global
/// is touched. Stop() kills it (as a crash would); Start() again reuses the same port and folder.
/// </summary>
public sealed class NginxRtmpServer : IDisposable
{
    private const string Module = "/usr/lib/nginx/modules/ngx_rtmp_module.so";
    private Process? _process;

    /// <summary>Prepares (does not start) a server on a free loopback port.</summary>
    public NginxRtmpServer()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("kvsi-nginx-").FullName;
        RecordDirectory = Path.Combine(Directory, "record");
        System.IO.Directory.CreateDirectory(RecordDirectory);
        // nginx workers may run as an unprivileged user: let them write the recordings.
        if (!OperatingSystem.IsWindows())
        {
            // Temp subdirectories are created 0700: the workers must be able to reach the record folder.
            File.SetUnixFileMode(Directory, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(RecordDirectory, (UnixFileMode)0b111_111_111);
        }
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        File.WriteAllText(ConfigPath, $$"""
            load_module {{Module}};
            daemon off;
            master_process on;
            worker_processes 1;
            pid {{Directory}}/nginx.pid;
            error_log {{Directory}}/err.log info;
            events { worker_connections 64; }
            rtmp {
                server {
                    listen 127.0.0.1:{{Port}};
                    application live {
                        live on;
                        record all;
                        record_unique on;
                        record_path {{RecordDirectory}};
                    }
                }
            }
            """);
    }

    /// <summary>Whether nginx and its RTMP module are installed.</summary>
    public static bool IsInstalled => File.Exists("/usr/sbin/nginx") && File.Exists(Module);

    /// <summary>The folder holding the config, logs and recordings.</summary>
    public string Directory { get; }

    /// <summary>Where published streams are recorded (.flv).</summary>
    public string RecordDirectory { get; }

    /// <summary>The RTMP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The URL of the "live" application; append a stream name.</summary>
    public Uri LiveUrl(string stream) => new($"rtmp://127.0.0.1:{Port}/live/{stream}");

    private string ConfigPath => Path.Combine(Directory, "nginx.conf");

    /// <summary>Starts nginx and waits until the port accepts connections.</summary>
    public void Start()
    {
        var psi = new ProcessStartInfo("/usr/sbin/nginx") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", ConfigPath, "-p", Directory, "-e", Path.Combine(Directory, "err.log") }) psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start nginx");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited {_process.ExitCode}: {_process.StandardError.ReadToEnd()} {ReadLog()}");
            }
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>Kills nginx (master and worker) at once, like a crash or a network drop.</summary>
    public void Stop()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        // The worker is a child of the master; make sure it has let go of the port too.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                Thread.Sleep(50);
            }
            catch (SocketException)
            {
                break;
            }
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>The recorded FLV files, oldest first.</summary>
    public IReadOnlyList<string> Recordings() =>
        System.IO.Directory.GetFiles(RecordDirectory, "*.flv").OrderBy(File.GetLastWriteTimeUtc).ThenBy(f => f, StringComparer.Ordinal).ToList();

    /// <summary>nginx's error log, for failure messages.</summary>
    public string ReadLog()
    {
        var path = Path.Combine(Directory, "err.log");
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Stop();
        try
        {
            System.IO.Directory.Delete(Directory, true);
        }
        catch (IOException)
        {
        }
    }
}
