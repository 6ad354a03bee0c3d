using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace PeerChat.Core;

/// <summary>
/// The description of each server setting, read from the XML documentation that ships beside
/// PeerChat.Core.dll, so that a configuration file says what the code says and nothing is written twice.
/// </summary>
public static partial class ServerSettingsDocumentation
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> s_summaries = new(Load);

    /// <summary>The summary of <paramref name="setting"/> as plain text, or null when it has none.</summary>
    public static string? Describe(PropertyInfo setting) =>
        s_summaries.Value.TryGetValue($"P:{setting.DeclaringType!.FullName}.{setting.Name}", out var summary) ? summary : null;

    private static IReadOnlyDictionary<string, string> Load()
    {
        var path = Path.ChangeExtension(typeof(ServerSettings).Assembly.Location, ".xml");
        if (!File.Exists(path))
        {
            return new Dictionary<string, string>();
        }

        return XDocument.Load(path).Descendants("member")
            .Where(m => m.Element("summary") is not null)
            .ToDictionary(m => (string)m.Attribute("name")!, m => PlainText(m.Element("summary")!));
    }

    /// <summary>The text of a summary, with <c>&lt;see cref="..."/&gt;</c> as the name it points to.</summary>
    private static string PlainText(XElement summary)
    {
        var text = string.Concat(summary.Nodes().Select(node => node switch
        {
            XText t => t.Value,
            XElement { Name.LocalName: "see" } see => ((string?)see.Attribute("cref") ?? (string?)see.Attribute("langword") ?? string.Empty).Split('.', ':')[^1],
            XElement e => e.Value,
            _ => string.Empty,
        }));
        return Whitespace().Replace(text, " ").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
