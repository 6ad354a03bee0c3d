using System.Collections.Frozen;
using System.Reflection;

namespace PeerChat.Core.Irc;

/// <summary>
/// The command dispatch: every method marked <see cref="IrcCommandAttribute"/>, in any partial file,
/// found once by reflection. Unknown commands get 421, missing parameters 461, commands before
/// registration 451, as RFC 2812 says.
/// </summary>
internal sealed partial class IrcConnection
{
    private static readonly FrozenDictionary<string, Handler> Handlers = FindHandlers();

    private sealed record Handler(IrcCommandAttribute Rule, Func<IrcConnection, IrcMessage, ValueTask> Run);

    /// <summary>The commands the gateway knows (for tests and docs).</summary>
    internal static IEnumerable<string> Commands => Handlers.Keys;

    private ValueTask DispatchAsync(IrcMessage message)
    {
        if (!Handlers.TryGetValue(message.Command, out var handler))
        {
            // Numerics from a client mean nothing here; anything else is unknown.
            if (UserName is not null || message.Command.Length != 3)
            {
                Reply(IrcNumerics.ErrUnknownCommand, message.Command, "Unknown command");
            }

            return ValueTask.CompletedTask;
        }

        if (handler.Rule.NeedsRegistration && UserName is null)
        {
            Reply(IrcNumerics.ErrNotRegistered, "You have not registered: log in first (PASS, or SASL PLAIN)");
            return ValueTask.CompletedTask;
        }

        if (message.Parameters.Count < handler.Rule.MinParameters)
        {
            Reply(IrcNumerics.ErrNeedMoreParams, message.Command, "Not enough parameters");
            return ValueTask.CompletedTask;
        }

        if (handler.Rule.IsUserRequest)
        {
            CountUserRequest();
        }

        return handler.Run(this, message);
    }

    private static FrozenDictionary<string, Handler> FindHandlers()
    {
        var handlers = new Dictionary<string, Handler>(StringComparer.Ordinal);
        foreach (var method in typeof(IrcConnection).GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
        {
            foreach (var rule in method.GetCustomAttributes<IrcCommandAttribute>())
            {
                Func<IrcConnection, IrcMessage, ValueTask> run;
                if (method.IsStatic)
                {
                    var handle = method.CreateDelegate<Func<IrcMessage, ValueTask>>();
                    run = (_, message) => handle(message);
                }
                else
                {
                    run = method.CreateDelegate<Func<IrcConnection, IrcMessage, ValueTask>>();
                }

                if (!handlers.TryAdd(rule.Command, new Handler(rule, run)))
                {
                    throw new InvalidOperationException($"Two handlers for the IRC command {rule.Command}.");
                }
            }
        }

        return handlers.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
