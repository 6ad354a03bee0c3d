using System.Management.Automation;
using PeerChat.Core.Client;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// What every PeerChat cmdlet shares: Ctrl+C cancels the network wait, and the session to use is
/// the one given or the default one.
/// </summary>
public abstract class PeerChatCmdlet : PSCmdlet
{
    private readonly CancellationTokenSource _stopping = new();

    protected CancellationToken CancelToken => _stopping.Token;

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>Waits for <paramref name="task"/> on the pipeline thread; Ctrl+C stops the pipeline.</summary>
    protected T Await<T>(Task<T> task)
    {
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    protected void Await(Task task) => Await(task.ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }, TaskScheduler.Default));

    /// <summary>The session to work on: <paramref name="session"/>, or the default; a terminating NotConnected error when there is none open.</summary>
    protected PeerChatSession ResolveSession(PeerChatSession? session)
    {
        session ??= SessionRegistry.Default;
        if (session is null)
        {
            ThrowTerminatingError(PeerChatErrors.NotConnected());
        }

        if (session!.Live.IsClosed)
        {
            ThrowTerminatingError(PeerChatErrors.SessionClosed(session));
        }

        if (session.Live.IsReconnecting)
        {
            ThrowTerminatingError(PeerChatErrors.SessionReconnecting(session));
        }

        return session;
    }

    /// <summary>Reports a failed request: terminating when the session itself is gone, else for this item only.</summary>
    protected void WriteChatError(ChatClientException exception, PeerChatSession session, object? target)
    {
        var record = PeerChatErrors.From(exception, target);
        if (!session.Live.Client.IsConnected)
        {
            ThrowTerminatingError(record);
        }

        WriteError(record);
    }
}
