using System.Runtime.InteropServices;

namespace KvsInference.Worker.Hosting;

/// <summary>
/// Turns SIGINT (Ctrl+C) and SIGTERM into the cancellation token every command gets, from the first instruction of
/// the process on. A command that has not stopped <paramref name="gracePeriod"/> after the signal is ended with the
/// usual 128 + signal exit code; a second signal ends the process at once.
/// </summary>
/// <remarks>
/// System.CommandLine 2.0.0 handles neither signal by default, and when told to (ProcessTerminationTimeout) it
/// registers its handler only once the command's action first yields: a signal before that, or one right after a
/// command printed that it is ready, killed the process by the signal's default action. `media serve` hung besides:
/// its web host's console lifetime took the signal and only stopped the host, while the command waited on the token.
/// </remarks>
/// <param name="gracePeriod">How long a command may take to stop after the signal.</param>
internal sealed class ShutdownSignals(TimeSpan gracePeriod) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _signalled;

    /// <summary>Gets the token cancelled by the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Starts listening for the signals.</summary>
    /// <returns>This instance.</returns>
    public ShutdownSignals Register()
    {
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal));
        return this;
    }

    private void OnSignal(PosixSignalContext context)
    {
        // A second signal keeps its default action: the process ends now.
        if (Interlocked.Exchange(ref _signalled, 1) == 1) return;
        context.Cancel = true;
        int exitCode = context.Signal == PosixSignal.SIGINT ? 130 : 143;
        _ = Task.Run(async () =>
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await Task.Delay(gracePeriod).ConfigureAwait(false);
            Console.Error.WriteLine($"Did not stop within {gracePeriod.TotalSeconds:0} s of the signal; exiting.");
            Environment.Exit(exitCode);
        });
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _stop.Dispose();
    }
}
