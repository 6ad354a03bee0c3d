using System.Globalization;
using PeerChat.Core.Chat;

namespace PeerChat.Core.Irc;

/// <summary>
/// After registration: the user's rooms joined, then the direct messages queued while the user was
/// offline, oldest first, in batches. IRC has no receipt, so each batch ends with a PING of its
/// own; the client's PONG, which it writes only after reading every line before it, confirms the
/// batch (ChatCore.ConfirmOfflineAsync, as peerchat/1's <c>received</c>) and brings the next. A
/// connection that drops before its PONG gets the batch again at its next login.
/// </summary>
internal sealed partial class IrcConnection
{
    private const int OfflineBatchSize = 100;

    // Direct messages handed over live since registration, so that one also still in the queue
    // (the core may deliver and queue the same message at a login) is not shown twice.
    private const int MaxRememberedDirectIds = 1000;
    private readonly HashSet<string> _liveDirectIds = new(StringComparer.Ordinal);

    // The PING token and last message id of the batch waiting for its PONG (receive loop only).
    private string? _offlineToken;
    private string? _offlineLastId;
    private int _offlineBatches;

    /// <summary>Runs once the session is registered, before the next command is read.</summary>
    private async ValueTask AfterRegistrationAsync()
    {
        await JoinRoomsOfUserAsync().ConfigureAwait(false);
        await SendOfflineBatchAsync().ConfigureAwait(false);
    }

    /// <summary>Remembers a direct message delivered live (called from any thread).</summary>
    private void RememberDirect(MessageDelivery delivery)
    {
        if (!delivery.IsDirect)
        {
            return;
        }

        lock (_liveDirectIds)
        {
            if (_liveDirectIds.Count >= MaxRememberedDirectIds)
            {
                _liveDirectIds.Clear();
            }

            _liveDirectIds.Add(delivery.Message.MessageId);
        }
    }

    private async ValueTask SendOfflineBatchAsync()
    {
        if (_server.Chat.Store is null || IsClosing)
        {
            return;
        }

        var batch = await _server.Chat.ReadOfflineAsync(UserName!, OfflineBatchSize).ConfigureAwait(false);
        if (batch.Error != ChatError.None)
        {
            Send(ServerNotice("Messages sent to you while you were offline could not be read (the message store failed); they wait for your next login."));
            return;
        }

        if (batch.Dropped > 0 && _offlineBatches == 0)
        {
            Send(ServerNotice($"{batch.Dropped} older messages sent to you while you were offline were dropped: your offline queue holds at most its limit."));
        }

        if (batch.Messages.Count == 0)
        {
            return;
        }

        _offlineBatches++;
        foreach (var message in batch.Messages)
        {
            bool shown;
            lock (_liveDirectIds)
            {
                shown = _liveDirectIds.Contains(message.MessageId);
            }

            if (!shown)
            {
                Send(RenderStored(message, null, batch: null));
            }
        }

        _offlineLastId = batch.Messages[^1].MessageId;
        _offlineToken = "offline-" + _offlineBatches.ToString(CultureInfo.InvariantCulture);
        Send(new IrcMessage([], ServerName, "PING", [_offlineToken]));
    }

    /// <summary>A PONG that answers the offline batch's PING confirms it and sends the next.</summary>
    private async ValueTask OnPongAsync(IrcMessage message)
    {
        if (_offlineToken is null || !message.Parameters.Contains(_offlineToken))
        {
            return;
        }

        _offlineToken = null;
        var error = await _server.Chat.ConfirmOfflineAsync(UserName!, _offlineLastId!).ConfigureAwait(false);
        if (error != ChatError.None)
        {
            Send(ServerNotice("Your offline messages could not be marked as read (the message store failed); they may come again at your next login."));
            return;
        }

        await SendOfflineBatchAsync().ConfigureAwait(false);
    }
}
