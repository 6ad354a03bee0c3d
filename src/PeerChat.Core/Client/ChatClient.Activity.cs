namespace PeerChat.Core.Client;

/// <summary>
/// Messages sent over an open direct connection never pass the server, so for its idle rule they
/// would not count, and a session sending only direct messages (the default route) would be cut as
/// inactive. The client reports them with the <c>activity</c> extension: in each quarter of the
/// idle window the first MinMessages at once (so that a window with enough of them always counts
/// enough, even late in the window), the rest together when the quarter ends. A session sending
/// no direct messages reports nothing.
/// </summary>
public sealed partial class ChatClient
{
    private ITimer? _activityTimer;

    // How many direct sends of a quarter are reported at once: the server's MinMessages; 0 while reports are off.
    private int _reportAtOnce;
    private int _sentThisQuarter;
    private long _unreportedDirect;

    /// <summary>At login, when the server names the extension and the welcome gives the idle rule.</summary>
    private void StartActivityReports(Welcome welcome)
    {
        if (!Hello.Extensions.Contains("activity") || welcome.IdleTimeout <= TimeSpan.Zero || welcome.MinMessages <= 0)
        {
            return;
        }

        var quarter = ActivityReportPeriod(welcome.IdleTimeout);
        Volatile.Write(ref _reportAtOnce, welcome.MinMessages);
        Interlocked.Exchange(ref _activityTimer, _options.TimeProvider.CreateTimer(static s => ((ChatClient)s!).EndQuarter(), this, quarter, quarter))?.Dispose();
        if (!IsConnected)
        {
            // Closed while logging in, after Close stopped the reports: the timer must not outlive it.
            StopActivityReports();
        }
    }

    /// <summary>A quarter of the window, between 100 ms and 5 minutes.</summary>
    private static TimeSpan ActivityReportPeriod(TimeSpan idleTimeout) =>
        TimeSpan.FromTicks(Math.Clamp(idleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromMinutes(5).Ticks));

    private void CountDirectSend()
    {
        var atOnce = Volatile.Read(ref _reportAtOnce);
        if (atOnce == 0)
        {
            return;
        }

        if (Interlocked.Increment(ref _sentThisQuarter) <= atOnce)
        {
            _ = ReportActivityAsync(1);
        }
        else
        {
            Interlocked.Increment(ref _unreportedDirect);
        }
    }

    private void EndQuarter()
    {
        Interlocked.Exchange(ref _sentThisQuarter, 0);
        if (IsConnected && Interlocked.Exchange(ref _unreportedDirect, 0) is var count and > 0)
        {
            _ = ReportActivityAsync(count);
        }
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

    private void StopActivityReports()
    {
        Volatile.Write(ref _reportAtOnce, 0);
        Interlocked.Exchange(ref _activityTimer, null)?.Dispose();
    }
}
