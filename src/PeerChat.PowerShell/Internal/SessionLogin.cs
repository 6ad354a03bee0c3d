using System.Management.Automation;
using PeerChat.Core.Client;

namespace PeerChat.PowerShell.Internal;

/// <summary>
/// Connects and logs in with a credential: once for Connect-PeerChat, and again for each reconnect
/// of a session made with -Reconnect, which is why the password is read from the PSCredential's
/// SecureString only at the moment of each login and kept nowhere else.
/// </summary>
internal static class SessionLogin
{
    public static async Task<ChatClient> ConnectAsync(string computerName, int port, ChatClientOptions options, PSCredential credential, bool signUp, CancellationToken cancellationToken)
    {
        var client = await ChatClient.ConnectAsync(computerName, port, options, cancellationToken).ConfigureAwait(false);
        return await LogInAsync(client, credential, signUp, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Logs <paramref name="client"/> in (creating the account first with <paramref name="signUp"/>); disposes it when that fails.</summary>
    public static async Task<ChatClient> LogInAsync(ChatClient client, PSCredential credential, bool signUp, CancellationToken cancellationToken)
    {
        try
        {
            var password = credential.GetNetworkCredential().Password;
            if (signUp)
            {
                await client.SignUpAsync(credential.UserName, password, cancellationToken).ConfigureAwait(false);
            }

            await client.LoginAsync(credential.UserName, password, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            // Refused, cancelled (Ctrl+C, Disconnect-PeerChat) or failed: never leave a half-open connection behind.
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
