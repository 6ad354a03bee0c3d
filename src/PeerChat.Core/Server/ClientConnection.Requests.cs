using System.Net;
using System.Text.Json;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

internal sealed partial class ClientConnection
{
    private ValueTask HandleRequestAsync(RequestFrame request)
    {
        // Messages may still wait for the store; anything else is answered after them. A `received`
        // joins them instead: it has no answer to keep in order, only an error when it fails.
        if (request.Type is not ("broadcast" or "send" or "received") && HasPendingAnswers)
        {
            return HandleAfterAsync(_lastAnswer, request);
        }

        return HandleNowAsync(request);
    }

    private async ValueTask HandleAfterAsync(Task answered, RequestFrame request)
    {
        await answered.ConfigureAwait(false);
        await HandleNowAsync(request).ConfigureAwait(false);
    }

    private ValueTask HandleNowAsync(RequestFrame request)
    {
        switch (request.Type)
        {
            case "ping":
                Send(SessionFrames.Pong(request.Id));
                return ValueTask.CompletedTask;
            case "signup":
                return new ValueTask(SignUpAsync(request));
            case "login":
                return new ValueTask(LoginAsync(request));
            case "list" or "broadcast" or "send" or "connect_peer" or "activity" or "logout"
                or "join" or "leave" or "rooms" or "history" or "received" or "mark_read" or "conversations" when UserName is null:
                Send(FrameWriter.Error(request.Id, ErrorCodes.NotAuthenticated, "Log in first."));
                return ValueTask.CompletedTask;
            case "logout":
                RequestClose(CloseReasons.Logout, null);
                return ValueTask.CompletedTask;
            case "list":
                CountUserRequest();
                Send(_server.ClientsFrame(request.Id));
                return ValueTask.CompletedTask;
            case "broadcast":
                return BroadcastAsync(request);
            case "send":
                return RelayAsync(request);
            case "join":
                return JoinAsync(request);
            case "leave":
                return LeaveAsync(request);
            case "rooms":
                return ListRoomsAsync(request);
            case "history":
                return HistoryAsync(request);
            case "received":
                return ReceivedAsync(request);
            case "mark_read":
                return MarkReadAsync(request);
            case "conversations":
                return ListConversationsAsync(request);
            case "connect_peer":
                return ConnectPeer(request);
            case "activity":
                ReportActivity(request);
                return ValueTask.CompletedTask;
            default:
                ProtocolError(request.Id, ErrorCodes.UnknownType, $"Unknown frame type '{request.Type}'.");
                return ValueTask.CompletedTask;
        }
    }

    private async Task SignUpAsync(RequestFrame request)
    {
        if (request.User is null || request.Password is null)
        {
            ProtocolError(request.Id, ErrorCodes.BadFrame, "signup needs string fields 'user' and 'password'.");
            return;
        }

        if (!Options.AllowSignup)
        {
            Send(FrameWriter.Error(request.Id, ErrorCodes.SignupDisabled, "This server does not accept new accounts."));
            return;
        }

        AccountService.Outcome outcome;
        TimeSpan retryAfter;
        try
        {
            (outcome, retryAfter) = await _server.Accounts.SignUpAsync(request.User, request.Password, AddressGroup, AbortToken).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            // A cluster whose Redis is away: no account is made, and the client is told why.
            Send(FrameWriter.Error(request.Id, ErrorCodes.StoreUnavailable, AccountsUnavailable()));
            return;
        }
        finally
        {
            LetGoOfAbortSource();
        }

        if (outcome == AccountService.Outcome.Ok)
        {
            // Before the answer, so that whoever has it also finds the event.
            _server.Raise(new SignedUpEvent(Clock.GetUtcNow(), ClientId, request.User, Address));
        }

        Send(outcome switch
        {
            AccountService.Outcome.TooManySignups => FrameWriter.Error(
                request.Id,
                ErrorCodes.Throttled,
                $"At most {Options.SignupsPerAddressPerMinute} new accounts a minute from one address; try again in {Math.Ceiling(retryAfter.TotalSeconds):0} s.",
                Math.Max(1, (long)Math.Ceiling(retryAfter.TotalMilliseconds))),
            AccountService.Outcome.Ok => SessionFrames.Ok(request.Id),
            AccountService.Outcome.UserExists => FrameWriter.Error(request.Id, ErrorCodes.UserExists, $"The user name '{request.User}' is taken."),
            AccountService.Outcome.InvalidUserName => FrameWriter.Error(request.Id, ErrorCodes.InvalidUsername, "A user name is 1 to 32 of A-Z a-z 0-9 . _ -"),
            AccountService.Outcome.InvalidPassword => FrameWriter.Error(request.Id, ErrorCodes.InvalidPassword, $"A password is {Options.MinPasswordLength} to {PasswordRules.MaxLength} characters."),
            _ => FrameWriter.Error(request.Id, ErrorCodes.Throttled, "The server is busy hashing passwords; try again.", 1000),
        });
    }

    private async Task LoginAsync(RequestFrame request)
    {
        if (request.User is null || request.Password is null)
        {
            ProtocolError(request.Id, ErrorCodes.BadFrame, "login needs string fields 'user' and 'password'.");
            return;
        }

        if (UserName is not null)
        {
            ProtocolError(request.Id, ErrorCodes.BadFrame, $"Already logged in as '{UserName}'.");
            return;
        }

        var address = AddressGroup.ToString();
        AccountService.Outcome outcome;
        string? canonicalName;
        try
        {
            if (await _server.LoginLimits.TryBeginLoginAsync(request.User, address, AbortToken).ConfigureAwait(false) is { } retryAfter)
            {
                LoginFailed(request, ErrorCodes.Throttled, "Too many failed logins; wait before trying again.", retryAfter);
                return;
            }

            try
            {
                (outcome, canonicalName) = await _server.Accounts.VerifyAsync(request.User, request.Password, AbortToken).ConfigureAwait(false);
                LetGoOfAbortSource();
            }
            catch
            {
                await _server.LoginLimits.EndLoginAsync(request.User, address, succeeded: null).ConfigureAwait(false);
                throw;
            }

            // The throttle learns the outcome before the client does: a client acting on its answer at
            // once (a login from another connection, say) must meet the throttle the answer implies.
            await _server.LoginLimits.EndLoginAsync(request.User, address, outcome switch
            {
                AccountService.Outcome.Ok => true,
                AccountService.Outcome.Busy => null,
                _ => false,
            }).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            // Fail closed: without the cluster's accounts and throttle no login is let through.
            LoginFailed(request, ErrorCodes.StoreUnavailable, AccountsUnavailable(), TimeSpan.FromSeconds(1));
            return;
        }

        switch (outcome)
        {
            case AccountService.Outcome.Ok:
                if (IsClosing)
                {
                    break;
                }

                if (!TryTakeSession(canonicalName!))
                {
                    LoginFailed(request, ErrorCodes.TooManySessions, $"Your address already has {Options.MaxSessionsPerAddress} sessions logged in; log one of them out first.", null);
                    break;
                }

                await CompleteLoginAsync(request, canonicalName!).ConfigureAwait(false);
                break;
            case AccountService.Outcome.Busy:
                LoginFailed(request, ErrorCodes.Throttled, "The server is busy hashing passwords; try again.", TimeSpan.FromSeconds(1));
                break;
            default:
                LoginFailed(request, ErrorCodes.InvalidCredentials, "Unknown user or wrong password.", null);
                break;
        }
    }

    // The reason (endpoints, the driver's words) is for the operator, whom the cluster's own failure
    // event tells; a client that has not logged in hears only that it cannot log in now, as on IRC.
    private static string AccountsUnavailable() =>
        "Accounts cannot be checked now (the server cannot reach its account store); try again.";

    private void LoginFailed(RequestFrame request, string code, string message, TimeSpan? retryAfter)
    {
        var retryMs = retryAfter is { } wait ? (long?)Math.Max(1, (long)Math.Ceiling(wait.TotalMilliseconds)) : null;
        // The event first, so that whoever has the answer also finds it in the server's events;
        // an unauthenticated name goes in short and escaped, and throttled attempts are folded.
        var shownName = Text.DisplayText.UntrustedUserName(request.User);
        if (code != ErrorCodes.Throttled || _server.ThrottledLogins.Count(shownName, AddressGroup.ToString(), Address, ClientId))
        {
            _server.Raise(new LoginFailedEvent(Clock.GetUtcNow(), ClientId, shownName, Address, code));
        }

        Send(FrameWriter.Error(request.Id, code, message, retryMs));
        var failures = ++Seldom.LoginFailures;
        if (failures >= Options.MaxLoginFailuresPerConnection)
        {
            RequestClose(ErrorCodes.TooManyErrors, FrameWriter.Error(null, ErrorCodes.TooManyErrors, $"{failures} failed logins on one connection; closing."));
        }
    }

    private async Task CompleteLoginAsync(RequestFrame request, string userName)
    {
        DisposeAuthTimer();
        UserName = userName;
        WantsPresence = request.Presence;
        WantsReceipts = request.Receipts;
        if (request.PeerPort is { } port)
        {
            Seldom.PeerEndpoint = new IPEndPoint(RemoteEndPoint.Address, port).ToString();
            Seldom.PeerFingerprint = request.PeerFingerprint;
        }

        ReleasePending();

        // A client holding its welcome must find itself in the list, in its first idle window and
        // in the server's events (a test clock may move the moment the welcome arrives), so the
        // session is complete on the server before the welcome is written; held meanwhile, the
        // welcome and the messages queued while the user was offline still go first, ahead of
        // anything others queue for the new session.
        _outbound.Hold();
        try
        {
            var offline = _server.Chat.Store is null ? null : await ReadOfflineBatchAsync().ConfigureAwait(false);
            Send(SessionFrames.Welcome(request.Id, ClientId, userName, Address, (long)Options.IdleTimeout.TotalSeconds, Options.MinMessages, offline?.Frames.Count));
            if (offline is not null)
            {
                SendOfflineBatch(offline, first: true);
            }

            Volatile.Write(ref _idleWindowEndTicks, Clock.GetUtcNow().UtcTicks + Options.IdleTimeout.Ticks);
            if (_server.Chat.Register(this))
            {
                _server.Raise(new ClientLoggedInEvent(Clock.GetUtcNow(), ClientId, userName, Address));
            }
        }
        finally
        {
            _outbound.Release();
        }
    }

    /// <summary>
    /// The activity extension: a client tells how many messages it sent over direct connections,
    /// which never pass the server, so that they count for the idle rule as relayed ones do. It
    /// grants nothing a client could not get by listing clients twice a window.
    /// </summary>
    private void ReportActivity(RequestFrame request)
    {
        if (request.Direct is not { } direct)
        {
            ProtocolError(request.Id, ErrorCodes.BadFrame, "activity needs a non-negative integer 'direct'.");
            return;
        }

        if (direct > 0)
        {
            CountUserRequests((int)Math.Min(direct, MaxDirectPerReport));
        }

        Send(SessionFrames.Ok(request.Id));
    }

    /// <summary>
    /// Brokers a direct connection: the peer is told to expect a one-time token, then the sender
    /// gets the peer's endpoint (the address the server saw, never one a client claims) and the token.
    /// </summary>
    private ValueTask ConnectPeer(RequestFrame request)
    {
        if (request.To is null)
        {
            ProtocolError(request.Id, ErrorCodes.BadFrame, "connect_peer needs a string field 'to'.");
            return ValueTask.CompletedTask;
        }

        CountUserRequest();
        var peer = _server.FindLoggedIn(request.To);
        if (peer is null && _server.Chat.Backplane is { } cluster && cluster.FindRemote(request.To) is { } remote)
        {
            return new ValueTask(ConnectRemotePeerAsync(request, cluster, remote));
        }

        if (peer is null)
        {
            Send(FrameWriter.Error(request.Id, ErrorCodes.NoSuchUser, $"No user named '{request.To}' is online."));
            return ValueTask.CompletedTask;
        }

        if (peer.PeerEndpoint is null)
        {
            Send(NoDirectConnections(request, peer.UserName!));
            return ValueTask.CompletedTask;
        }

        var token = PeerTokens.Create();
        var expiresAt = Clock.GetUtcNow() + PeerTokens.Lifetime;
        peer.Send(SessionFrames.PeerExpect(UserName!, ClientId, token, expiresAt));
        Send(SessionFrames.Peer(request.Id, peer.UserName!, peer.ClientId, peer.PeerEndpoint, peer.PeerFingerprint, token));
        _server.Counters.Brokered();
        return ValueTask.CompletedTask;
    }
}
