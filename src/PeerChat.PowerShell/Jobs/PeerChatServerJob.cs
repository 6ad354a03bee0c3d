using System.ComponentModel;
using System.Management.Automation;
using System.Net;
using System.Reflection;
using PeerChat.Core.Chat;
using PeerChat.Core.Server;
using PeerChat.Core.Text;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Jobs;

/// <summary>
/// A PeerChat server running in the background of this process, as a PowerShell job: Get-Job lists
/// it, Receive-Job returns its events, Stop-Job stops it gracefully, Wait-Job waits for its end.
/// </summary>
public sealed class PeerChatServerJob : Job2
{
    private readonly ChatServer _server;
    private IAsyncDisposable? _messageStore;
    private int _stopRequested;
    private long _droppedEventCount;

    internal PeerChatServerJob(ChatServer server, string command, string name, string? userStorePath, int eventBufferSize = DefaultEventBufferSize, string? messageStorePath = null)
        : base(command, name)
    {
        _server = server;
        UserStorePath = userStorePath;
        MessageStorePath = messageStorePath;
        // The server uses the store but does not own it: the job, for the cmdlet that opened it,
        // closes it once the server has stopped or failed to start.
        _messageStore = server.Options.MessageStore;
        EventBufferSize = eventBufferSize;
        PSJobTypeName = "PeerChatServer";

        // Receive-Job reads these; they must never block an enumerator waiting for more.
        Output.EnumeratorNeverBlocks = true;
        Error.EnumeratorNeverBlocks = true;
        Warning.EnumeratorNeverBlocks = true;
        Verbose.EnumeratorNeverBlocks = true;
        Progress.EnumeratorNeverBlocks = true;
        Debug.EnumeratorNeverBlocks = true;
        Information.EnumeratorNeverBlocks = true;
        _server.EventRaised += OnServerEvent;
    }

    /// <summary>The bound port (the one the system picked when started with -Port 0).</summary>
    public int Port => _server.Port != 0 ? _server.Port : _server.Options.Port;

    public string ListenAddress => _server.Options.ListenAddress.ToString();

    /// <summary>The IRC gateway's bound port (the one the system picked with -IrcPort 0); null when the gateway is off.</summary>
    public int? IrcPort => _server.IrcPort != 0 ? _server.IrcPort : _server.Options.IrcPort;

    /// <summary>The web listener's bound port (the one the system picked with -WebPort 0); null when it is off.</summary>
    public int? WebPort => _server.WebPort != 0 ? _server.WebPort : _server.Options.WebPort;

    /// <summary>Logged-in clients now.</summary>
    public int ClientCount => _server.LoggedInCount;

    /// <summary>Connections now, logged in or not yet.</summary>
    public int ConnectionCount => _server.ConnectionCount;

    public int MaxClients => _server.Options.MaxClients;

    /// <summary>The CSV user store; null in a cluster, whose accounts are in its Redis (<see cref="Cluster"/>).</summary>
    public string? UserStorePath { get; }

    /// <summary>The SQLite file where conversations last; null when the server runs without a message store.</summary>
    public string? MessageStorePath { get; }

    /// <summary>The endpoints of the cluster's Redis (never its password); null when the server is not in a cluster.</summary>
    public string? Cluster { get; init; }

    /// <summary>This server's name in its cluster; null when it is not in one.</summary>
    public string? NodeName { get; init; }

    /// <summary>The default of Start-PeerChatServer -EventBufferSize.</summary>
    public const int DefaultEventBufferSize = 10_000;

    /// <summary>
    /// Events kept until Receive-Job reads them; past it the oldest are dropped (an
    /// <c>EventsDropped</c> event in their place says how many), so that a server nobody reads
    /// cannot fill the memory with the events of its connections.
    /// </summary>
    public int EventBufferSize { get; }

    /// <summary>Events dropped since the start because the buffer was full.</summary>
    public long DroppedEventCount => Interlocked.Read(ref _droppedEventCount);

    public DateTime? StartTime => PSBeginTime;

    /// <summary>With TLS, the SHA-256 fingerprint of the server's certificate, for Connect-PeerChat -ServerCertificateThumbprint.</summary>
    public string? CertificateThumbprint => _server.Options.Certificate is { } certificate ? Core.Security.Certificates.Fingerprint(certificate) : null;

    public bool UsesTls => _server.Options.Certificate is not null;

    /// <summary>The server's counters: frames and bytes in and out, messages relayed, rejections.</summary>
    public ServerStatistics Statistics => _server.GetStatistics();

    public override bool HasMoreData => Output.Count > 0 || Error.Count > 0 || Warning.Count > 0;

    /// <summary>Address and port as an endpoint: <c>[::]:4400</c>, <c>127.0.0.1:4400</c>.</summary>
    public override string Location => new IPEndPoint(_server.Options.ListenAddress, Port).ToString();

    public override string StatusMessage => $"{ClientCount} clients";

    internal ChatServer Server => _server;

    /// <summary>Binds and starts the server; on failure the job is Failed with the reason and this throws it.</summary>
    public override void StartJob()
    {
        try
        {
            _server.Start();
        }
        catch (Exception ex)
        {
            CloseMessageStore();
            SetFailed(ex);
            throw;
        }

        SetJobState(JobState.Running);

        // A server that stops by itself (its node's name taken in the cluster) fails the job, as at start.
        _ = _server.Completion.ContinueWith(_ => OnStoppedItself(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public override void StartJobAsync()
    {
        Exception? failure = null;
        try
        {
            StartJob();
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        OnStartJobCompleted(new AsyncCompletedEventArgs(failure, false, null));
    }

    /// <summary>Stops gracefully: clients get <c>server_shutdown</c>, then the job is Stopped.</summary>
    public override void StopJob()
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) != 0)
        {
            // Another caller is stopping it: return when that stop has finished.
            if (JobStateInfo.State == JobState.Stopping)
            {
                _server.Completion.GetAwaiter().GetResult();
            }

            return;
        }

        if (JobStateInfo.State != JobState.Running)
        {
            return;
        }

        SetJobState(JobState.Stopping);
        try
        {
            _server.StopAsync().GetAwaiter().GetResult();
            CloseMessageStore();
            SetJobState(JobState.Stopped);
        }
        catch (Exception ex)
        {
            CloseMessageStore();
            SetFailed(ex);
        }
    }

    public override void StopJob(bool force, string reason) => StopJob();

    private void OnStoppedItself()
    {
        if (_server.StopReason is not NodeNameInUseException reason || Interlocked.Exchange(ref _stopRequested, 1) != 0)
        {
            return;
        }

        try
        {
            Error.Add(new ErrorRecord(reason, "NodeNameInUse", ErrorCategory.ResourceExists, reason.NodeName));
            CloseMessageStore();
            SetFailed(reason);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or PSInvalidOperationException or InvalidOperationException)
        {
            // The job was removed meanwhile: nobody is left to tell.
        }
    }

    public override void StopJobAsync() => StopJobAsync(false, string.Empty);

    public override void StopJobAsync(bool force, string reason) =>
        Task.Run(() =>
        {
            StopJob();
            OnStopJobCompleted(new AsyncCompletedEventArgs(null, false, null));
        });

    public override void SuspendJob() => throw NotSupported("suspended");

    public override void SuspendJob(bool force, string reason) => throw NotSupported("suspended");

    public override void SuspendJobAsync() => throw NotSupported("suspended");

    public override void SuspendJobAsync(bool force, string reason) => throw NotSupported("suspended");

    public override void ResumeJob() => throw NotSupported("resumed");

    public override void ResumeJobAsync() => throw NotSupported("resumed");

    public override void UnblockJob() => throw NotSupported("unblocked");

    public override void UnblockJobAsync() => throw NotSupported("unblocked");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            StopJob();
            // A job that never ran still holds the store the cmdlet opened for it.
            CloseMessageStore();
            _server.EventRaised -= OnServerEvent;
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// Runs on socket threads: it only adds to the job's thread-safe collections, and nothing it
    /// does may throw into the server (an exception there would end the PowerShell process).
    /// </summary>
    private void OnServerEvent(ServerEvent serverEvent)
    {
        try
        {
            switch (serverEvent)
            {
                case ServerErrorEvent error:
                    Error.Add(new ErrorRecord(error.Exception, "ServerInternalError", ErrorCategory.NotSpecified, error.Where));
                    BoundedJobStream.Trim(Error, EventBufferSize);
                    break;
                case MessageStoreFailedEvent failed:
                    Warning.Add(new WarningRecord($"The message store failed ({failed.Operation}): {DisplayText.Escape(failed.Reason)}. Senders get store_unavailable; live chat goes on."));
                    BoundedJobStream.Trim(Warning, EventBufferSize);
                    break;
                case UserStoreIssueEvent issue:
                    Warning.Add(new WarningRecord($"User store {issue.Path}, line {issue.LineNumber}: {DisplayText.Escape(issue.Reason)}. The line is kept and skipped."));
                    BoundedJobStream.Trim(Warning, EventBufferSize);
                    break;
            }

            Output.Add(PSObject.AsPSObject(new PeerChatServerEvent(serverEvent)));
            var (dropped, newGap) = BoundedJobStream.Trim(Output, EventBufferSize, DroppedSoFar, MakeDroppedMarker);
            if (dropped > 0)
            {
                Interlocked.Add(ref _droppedEventCount, dropped);
            }

            if (newGap)
            {
                Warning.Add(new WarningRecord($"The server job keeps at most {EventBufferSize} events until Receive-Job reads them; older events were dropped (see the EventsDropped event and the job's DroppedEventCount)."));
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or PSInvalidOperationException or InvalidOperationException)
        {
            // The job was removed while the server still spoke: nobody is left to tell.
        }
    }

    /// <summary>
    /// Closes the message store once, after the server stopped (its last writes committed), so that
    /// the file is free for the next server. A failure to close is told on the error stream.
    /// </summary>
    private void CloseMessageStore()
    {
        if (Interlocked.Exchange(ref _messageStore, null) is not { } store)
        {
            return;
        }

        try
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            Error.Add(new ErrorRecord(ex, "MessageStoreCloseFailed", ErrorCategory.CloseError, MessageStorePath));
        }
    }

    /// <summary>
    /// Job2.SetJobState(JobState, Exception), the one way to fill JobStateInfo.Reason: every engine
    /// since PowerShell 3 has it (protected), but PowerShell Standard 5.1, which this assembly is
    /// compiled against, does not declare it, so it is bound once by reflection, as ThreadJob does.
    /// </summary>
    private static readonly Action<Job2, JobState, Exception>? s_setJobStateWithReason =
        typeof(Job2).GetMethod("SetJobState", BindingFlags.Instance | BindingFlags.NonPublic, [typeof(JobState), typeof(Exception)])
            ?.CreateDelegate<Action<Job2, JobState, Exception>>();

    private void SetFailed(Exception reason)
    {
        if (s_setJobStateWithReason is { } setWithReason)
        {
            setWithReason(this, JobState.Failed, reason);
        }
        else
        {
            SetJobState(JobState.Failed);
        }
    }

    // The gap marker is the EventsDropped event at the head of the stream, until Receive-Job takes it.
    private static long? DroppedSoFar(PSObject head) =>
        head.BaseObject is PeerChatServerEvent { Event: EventsDroppedEvent dropped } ? dropped.Count : null;

    private PSObject MakeDroppedMarker(long count) =>
        PSObject.AsPSObject(new PeerChatServerEvent(new EventsDroppedEvent(_server.Options.TimeProvider.GetUtcNow(), count)));

    private static PSNotSupportedException NotSupported(string what) => new($"A PeerChat server job cannot be {what}; stop it and start a new one.");
}
