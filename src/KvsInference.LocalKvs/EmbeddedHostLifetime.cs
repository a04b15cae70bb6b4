using Microsoft.Extensions.Hosting;

namespace KvsInference.LocalKvs;

/// <summary>
/// The lifetime of a web host embedded in a process that owns Ctrl+C and SIGTERM (a Worker command, a test): it
/// neither waits for nor handles signals.
/// </summary>
/// <remarks>
/// The default console lifetime handles SIGINT and SIGTERM itself and cancels their default action, so the process's
/// own handler never sees them: `media serve` stopped its web host and then waited for a cancellation that never came.
/// </remarks>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
