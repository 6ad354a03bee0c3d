using System.Management.Automation;
using PeerChat.Core.Client;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Lists the rooms of the session's server: members, who of them is online, whether this user is
/// in it and how many messages it has unread there. A name without wildcards that is no room is
/// a NoSuchRoom error, as Get-PeerChatClient does for a user.
/// </summary>
[Cmdlet(VerbsCommon.Get, "PeerChatRoom")]
[OutputType(typeof(PeerChatRoom))]
public sealed class GetPeerChatRoomCommand : PeerChatCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Room { get; set; }

    /// <summary>Only the rooms this user is in.</summary>
    [Parameter]
    public SwitchParameter Joined { get; set; }

    [Parameter(ValueFromPipeline = true)]
    public PeerChatSession? Session { get; set; }

    protected override void ProcessRecord()
    {
        var session = ResolveSession(Session);
        IReadOnlyList<RoomInfo> rooms;
        try
        {
            rooms = Await(session.Live.Client.ListRoomsAsync(CancelToken));
        }
        catch (ChatClientException ex)
        {
            ThrowTerminatingError(PeerChatErrors.From(ex, session));
            return;
        }

        var patterns = Room?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
        foreach (var room in rooms.OrderBy(r => r.Room, StringComparer.OrdinalIgnoreCase))
        {
            if ((!Joined || room.Joined) && (patterns is null || patterns.Any(p => p.IsMatch(room.Room))))
            {
                WriteObject(new PeerChatRoom(room, session));
            }
        }

        foreach (var name in Room ?? [])
        {
            if (!WildcardPattern.ContainsWildcardCharacters(name) && !rooms.Any(r => (!Joined || r.Joined) && string.Equals(r.Room, name, StringComparison.OrdinalIgnoreCase)))
            {
                WriteError(new ErrorRecord(
                    new ItemNotFoundException(Joined ? $"You are not in a room '{name}'." : $"There is no room '{name}' on {session.ComputerName}:{session.Port}."),
                    "NoSuchRoom",
                    ErrorCategory.ObjectNotFound,
                    name));
            }
        }
    }
}
