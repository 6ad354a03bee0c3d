using System.Text;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;

namespace PeerChat.Core.Irc;

/// <summary>
/// Registration: NICK, USER, PASS, CAP and SASL PLAIN, ending in a login with the user's PeerChat
/// account through the main port's <see cref="AccountService"/> and <see cref="LoginThrottle"/>
/// (same keys, so failures on either port count together). There is no guest access.
/// </summary>
internal sealed partial class IrcConnection
{
    // A SASL PLAIN message is three names and a password: far below this, even base64-encoded.
    private const int MaxSaslBytes = 4096;
    private const int SaslChunkBytes = 400;

    private string? _requestedNick;
    private bool _userReceived;
    private string? _passUser;
    private string? _password;
    private bool _capNegotiating;
    private bool _registering;
    private int _loginFailures;

    // SASL: whether a PLAIN exchange is under way, its base64 so far, and the account it verified.
    private bool _saslInProgress;
    private StringBuilder? _saslData;
    private string? _saslAccount;

    [IrcCommand("PASS", MinParameters = 1, NeedsRegistration = false)]
    private ValueTask Pass(IrcMessage message)
    {
        if (UserName is not null)
        {
            Reply(IrcNumerics.ErrAlreadyRegistered, "You may not reregister");
            return ValueTask.CompletedTask;
        }

        // "user:password" names the account; a bare password is the nick's. A password may itself
        // hold a colon, so only a valid user name before the first colon counts as one. Clients
        // (irssi, Python's irc) send a server password with spaces without the colon that would
        // keep it one parameter: its words come as several, joined back here.
        var value = string.Join(' ', message.Parameters);
        var colon = value.IndexOf(':');
        if (colon > 0 && PasswordRules.IsValidUserName(value[..colon]))
        {
            _passUser = value[..colon];
            _password = value[(colon + 1)..];
        }
        else
        {
            _passUser = null;
            _password = value;
        }

        return ValueTask.CompletedTask;
    }

    [IrcCommand("NICK", NeedsRegistration = false)]
    private ValueTask NickCommand(IrcMessage message)
    {
        if (message.Parameters.Count == 0 || message.Parameters[0].Length == 0)
        {
            Reply(IrcNumerics.ErrNoNicknameGiven, "No nickname given");
            return ValueTask.CompletedTask;
        }

        var nick = message.Parameters[0];
        if (!PasswordRules.IsValidUserName(nick))
        {
            Reply(IrcNumerics.ErrErroneousNickname, nick, $"Erroneous nickname: a nick is a PeerChat account name, 1 to {PasswordRules.MaxUserNameLength} of A-Z a-z 0-9 . _ -");
            return ValueTask.CompletedTask;
        }

        if (UserName is not null)
        {
            if (!PasswordRules.UserNameComparer.Equals(nick, UserName))
            {
                Reply(IrcNumerics.ErrNickLocked, "Your nick is your PeerChat account name; it cannot change");
            }

            return ValueTask.CompletedTask;
        }

        _requestedNick = nick;
        return TryRegisterAsync();
    }

    [IrcCommand("USER", MinParameters = 4, NeedsRegistration = false)]
    private ValueTask UserCommand(IrcMessage message)
    {
        if (UserName is not null || _userReceived)
        {
            Reply(IrcNumerics.ErrAlreadyRegistered, "You may not reregister");
            return ValueTask.CompletedTask;
        }

        // The user name and real name are not kept: the account is the identity.
        _userReceived = true;
        return TryRegisterAsync();
    }

    [IrcCommand("CAP", MinParameters = 1, NeedsRegistration = false)]
    private ValueTask Cap(IrcMessage message)
    {
        switch (message.Parameters[0].ToUpperInvariant())
        {
            case "LS":
                if (UserName is null)
                {
                    _capNegotiating = true;
                }

                var version = int.TryParse(message.Parameter(1), out var v) ? v : 0;
                if (version >= 302)
                {
                    // A 302 client understands cap-notify without asking for it.
                    _enabledCaps.Add("cap-notify");
                }

                SendCapList("LS", IrcCapabilities.Advertised(version >= 302));
                break;
            case "LIST":
                SendCapList("LIST", string.Join(' ', _enabledCaps.Order(StringComparer.Ordinal)));
                break;
            case "REQ":
                if (UserName is null)
                {
                    _capNegotiating = true;
                }

                RequestCaps(message.Parameter(1) ?? "");
                break;
            case "END":
                if (_capNegotiating)
                {
                    _capNegotiating = false;
                    return TryRegisterAsync();
                }

                break;
            default:
                Reply(IrcNumerics.ErrInvalidCapCmd, message.Parameters[0], "Invalid CAP command");
                break;
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>All or nothing (IRCv3 capability negotiation): every cap known, or NAK for the whole list.</summary>
    private void RequestCaps(string list)
    {
        var changes = list.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (changes.Length == 0 || changes.Any(c => !IrcCapabilities.IsKnown(c.TrimStart('-'))))
        {
            SendCapList("NAK", list);
            return;
        }

        foreach (var change in changes)
        {
            if (change.StartsWith('-'))
            {
                _enabledCaps.Remove(change[1..]);
            }
            else
            {
                _enabledCaps.Add(change);
            }
        }

        OnCapsChanged();
        SendCapList("ACK", list);
    }

    private void SendCapList(string subcommand, string list) =>
        Send(new IrcMessage([], ServerName, "CAP", [Nick, subcommand, list]));

    [IrcCommand("AUTHENTICATE", MinParameters = 1, NeedsRegistration = false)]
    private async ValueTask Authenticate(IrcMessage message)
    {
        var argument = message.Parameters[0];
        if (UserName is not null || _saslAccount is not null)
        {
            Reply(IrcNumerics.ErrSaslAlready, "You have already authenticated using SASL");
            return;
        }

        if (argument == "*")
        {
            if (_saslInProgress)
            {
                _saslInProgress = false;
                _saslData = null;
                Reply(IrcNumerics.ErrSaslAborted, "SASL authentication aborted");
            }
            else
            {
                Reply(IrcNumerics.ErrSaslFail, "SASL authentication failed: no exchange under way");
            }

            return;
        }

        if (!_saslInProgress)
        {
            if (!string.Equals(argument, "PLAIN", StringComparison.OrdinalIgnoreCase))
            {
                Reply(IrcNumerics.SaslMechs, "PLAIN", "are available SASL mechanisms");
                Reply(IrcNumerics.ErrSaslFail, "SASL authentication failed: only PLAIN is offered");
                return;
            }

            _saslInProgress = true;
            _saslData = new StringBuilder();
            Send(new IrcMessage("AUTHENTICATE", "+"));
            return;
        }

        if (argument.Length > SaslChunkBytes || _saslData!.Length + argument.Length > MaxSaslBytes)
        {
            _saslInProgress = false;
            _saslData = null;
            Reply(IrcNumerics.ErrSaslTooLong, "SASL message too long");
            return;
        }

        if (argument != "+")
        {
            _saslData.Append(argument);
        }

        // A chunk of exactly 400 bytes says more follow (an empty "+" ends it).
        if (argument.Length == SaslChunkBytes)
        {
            return;
        }

        var data = _saslData.ToString();
        _saslInProgress = false;
        _saslData = null;
        if (!TryReadPlain(data, out var account, out var password))
        {
            Reply(IrcNumerics.ErrSaslFail, "SASL authentication failed: not a PLAIN message (authzid NUL authcid NUL password, base64)");
            await CountLoginFailureAsync().ConfigureAwait(false);
            return;
        }

        var (verified, text) = await VerifyAsync(account, password).ConfigureAwait(false);
        if (verified is null)
        {
            Reply(IrcNumerics.ErrSaslFail, "SASL authentication failed: " + text);
            await CountLoginFailureAsync().ConfigureAwait(false);
            return;
        }

        _saslAccount = verified;
        Reply(IrcNumerics.LoggedIn, IrcText.Mask(verified), verified, $"You are now logged in as {verified}");
        Reply(IrcNumerics.SaslSuccess, "SASL authentication successful");
        await TryRegisterAsync().ConfigureAwait(false);
    }

    /// <summary>authzid NUL authcid NUL password in base64; an authzid, if any, must be the authcid (no acting for others).</summary>
    private static bool TryReadPlain(string base64, out string account, out string password)
    {
        account = password = "";
        Span<byte> bytes = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, bytes, out var length))
        {
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes[..length]);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        var parts = text.Split('\0');
        if (parts.Length != 3 || parts[1].Length == 0 || (parts[0].Length > 0 && !PasswordRules.UserNameComparer.Equals(parts[0], parts[1])))
        {
            return false;
        }

        account = parts[1];
        password = parts[2];
        return true;
    }

    /// <summary>
    /// Registration ends once NICK and USER have come and CAP negotiation (if any) has ended:
    /// with the account SASL verified, or else the PASS password checked now. Neither is no login.
    /// </summary>
    private async ValueTask TryRegisterAsync()
    {
        if (UserName is not null || _registering || _requestedNick is null || !_userReceived || _capNegotiating || _saslInProgress)
        {
            return;
        }

        _registering = true;
        try
        {
            var account = _saslAccount;
            if (account is null)
            {
                if (_password is null)
                {
                    Send(ServerNotice("This server has no guest access: log in with your PeerChat account, as the server password (PASS), PASS <user>:<password>, or SASL PLAIN."));
                    RequestClose(ErrorCodes.InvalidCredentials, "No login given: set the server password to your PeerChat account's password, or use SASL PLAIN");
                    return;
                }

                var (verified, text) = await VerifyAsync(_passUser ?? _requestedNick, _password).ConfigureAwait(false);
                _password = null;
                if (verified is null)
                {
                    Reply(IrcNumerics.ErrPasswdMismatch, "Password incorrect: " + text);
                    RequestClose(ErrorCodes.InvalidCredentials, "Bad password");
                    return;
                }

                account = verified;
            }

            if (IsClosing)
            {
                return;
            }

            if (!TryTakeSession(account))
            {
                RequestClose(ErrorCodes.TooManySessions, $"Your address already has {_options.MaxSessionsPerAddress} sessions logged in; log one of them out first");
                return;
            }

            CompleteRegistration(account);
            if (UserName is not null && !IsClosing)
            {
                await AfterRegistrationAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _registering = false;
        }
    }

    /// <summary>
    /// Checks a password as the main port's login does, throttle first: the verified account as it
    /// is spelled, or null with the reason to tell the client.
    /// </summary>
    private async ValueTask<(string? Account, string Text)> VerifyAsync(string user, string password)
    {
        var address = AddressGroup.ToString();
        AccountService.Outcome outcome;
        string? canonicalName;
        try
        {
            if (await _server.LoginLimits.TryBeginLoginAsync(user, address, _abort.Token).ConfigureAwait(false) is { } retryAfter)
            {
                LoginFailed(user, ErrorCodes.Throttled);
                return (null, $"too many failed logins; wait {Math.Ceiling(retryAfter.TotalSeconds):0} s before trying again");
            }

            try
            {
                (outcome, canonicalName) = await _server.Accounts.VerifyAsync(user, password, _abort.Token).ConfigureAwait(false);
            }
            catch
            {
                await _server.LoginLimits.EndLoginAsync(user, address, succeeded: null).ConfigureAwait(false);
                throw;
            }

            await _server.LoginLimits.EndLoginAsync(user, address, outcome switch
            {
                AccountService.Outcome.Ok => true,
                AccountService.Outcome.Busy => null,
                _ => false,
            }).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            // Fail closed, as on the main port.
            LoginFailed(user, ErrorCodes.StoreUnavailable);
            return (null, "accounts cannot be checked now (the cluster's Redis is unavailable); try again");
        }

        switch (outcome)
        {
            case AccountService.Outcome.Ok:
                return (canonicalName, "");
            case AccountService.Outcome.Busy:
                LoginFailed(user, ErrorCodes.Throttled);
                return (null, "the server is busy hashing passwords; try again");
            default:
                LoginFailed(user, ErrorCodes.InvalidCredentials);
                return (null, "unknown user or wrong password");
        }
    }

    private void LoginFailed(string user, string code)
    {
        var shownName = Text.DisplayText.UntrustedUserName(user);
        if (code != ErrorCodes.Throttled || _server.ThrottledLogins.Count(shownName, AddressGroup.ToString(), Address, ClientId))
        {
            _server.Raise(new LoginFailedEvent(_clock.GetUtcNow(), ClientId, shownName, Address, code));
        }
    }

    /// <summary>SASL may be retried on one connection, up to MaxLoginFailuresPerConnection, as logins on the main port.</summary>
    private ValueTask CountLoginFailureAsync()
    {
        if (++_loginFailures >= _options.MaxLoginFailuresPerConnection)
        {
            RequestClose(ErrorCodes.TooManyErrors, $"{_loginFailures} failed logins on one connection");
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The session begins: welcome burst, then #everyone, then registration with the chat core
    /// (which tells everyone else). Held meanwhile, as on the main port, so the burst is written
    /// first and only once the session is complete on the server.
    /// </summary>
    private void CompleteRegistration(string account)
    {
        DisposeAuthTimer();
        UserName = account;
        ReleasePending();
        _outbound.Hold();
        try
        {
            SendWelcome();
            SendEveryoneJoin();
            Volatile.Write(ref _idleWindowEndTicks, _clock.GetUtcNow().UtcTicks + _options.IdleTimeout.Ticks);
            if (_server.Chat.Register(this))
            {
                _server.Raise(new ClientLoggedInEvent(_clock.GetUtcNow(), ClientId, account, Address));
            }
        }
        finally
        {
            _outbound.Release();
        }
    }

    private void SendWelcome()
    {
        var version = typeof(IrcConnection).Assembly.GetName().Version?.ToString(3) ?? "0";
        Reply(IrcNumerics.Welcome, $"Welcome to {_options.ServerName}, {IrcText.Mask(UserName!)}");
        Reply(IrcNumerics.YourHost, $"Your host is {ServerName}, running PeerChat {version}");
        Reply(IrcNumerics.Created, $"This server was started {_server.IrcStartedAt:yyyy-MM-dd HH:mm:ss} UTC");
        Reply(IrcNumerics.MyInfo, ServerName, "PeerChat-" + version, "i", "nt");
        foreach (var tokens in IrcCapabilities.ISupport(_options).Chunk(12))
        {
            Reply(IrcNumerics.ISupport, [.. tokens, "are supported by this server"]);
        }

        SendMotd();
    }

    [IrcCommand("MOTD")]
    private ValueTask MotdCommand(IrcMessage message)
    {
        SendMotd();
        return ValueTask.CompletedTask;
    }

    private void SendMotd()
    {
        Reply(IrcNumerics.MotdStart, $"- {ServerName} Message of the day -");
        Reply(IrcNumerics.Motd, $"- {_options.ServerName}: an IRC gateway into PeerChat.");
        Reply(IrcNumerics.Motd, $"- {IrcText.Everyone} is everyone online; /msg <nick> reaches any PeerChat user, online or not.");
        Reply(IrcNumerics.EndOfMotd, "End of /MOTD command.");
    }
}
