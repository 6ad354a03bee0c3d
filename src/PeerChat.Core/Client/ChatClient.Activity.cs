namespace PeerChat.Core.Client;

/// <summary>
/// Messages sent over an open direct connection never pass the server, so for its idle rule they
/// would not count, and a session sending only direct messages (the default route) would be cut as
/// inactive. The client counts them and reports the count with the <c>activity</c> extension, a
/// quarter of the idle window at the most after sending: one frame per quarter, and only after
/// direct messages were sent.
/// </summary>
public sealed partial class ChatClient
{
    private long _unreportedDirect;
    private ITimer? _activityTimer;

    /// <summary>At login, when the server names the extension and the welcome gives the idle window.</summary>
    private void StartActivityReports(Welcome welcome)
    {
        if (!Hello.Extensions.Contains("activity") || welcome.IdleTimeout <= TimeSpan.Zero)
        {
            return;
        }

        var period = ActivityReportPeriod(welcome.IdleTimeout);
        Interlocked.Exchange(ref _activityTimer, _options.TimeProvider.CreateTimer(static s => ((ChatClient)s!).ReportActivity(), this, period, period))?.Dispose();
    }

    /// <summary>
    /// A quarter of the window, so that direct messages count in the window they were sent in, or
    /// (sent in its last quarter) in the next; between 100 ms and 5 minutes.
    /// </summary>
    internal static TimeSpan ActivityReportPeriod(TimeSpan idleTimeout) =>
        TimeSpan.FromTicks(Math.Clamp(idleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromMinutes(5).Ticks));

    private void CountDirectSend() => Interlocked.Increment(ref _unreportedDirect);

    private void ReportActivity()
    {
        if (!IsConnected || Interlocked.Exchange(ref _unreportedDirect, 0) is not (var count and > 0))
        {
            return;
        }

        _ = ReportActivityAsync(count);
    }

    private async Task ReportActivityAsync(long count)
    {
        try
        {
            await RequestAsync("activity", count, static (w, n) => w.WriteNumber("direct", n), CancellationToken.None).ConfigureAwait(false);
        }
        catch (ChatClientException)
        {
            // The connection is gone (and with it the idle rule), or the server refused the report:
            // either way there is nothing to retry.
        }
    }

    private void StopActivityReports() => Interlocked.Exchange(ref _activityTimer, null)?.Dispose();
}
