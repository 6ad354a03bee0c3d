using System.Collections.Frozen;

namespace PeerChat.Core.Web;

/// <summary>
/// The chat page: every file of Web/page, built into the assembly as a resource (see the project
/// file) and served at <c>/name</c>, <c>/</c> being index.html. Only files of the types below are served.
/// </summary>
internal static class WebPage
{
    private const string ResourcePrefix = "PeerChat.Web.page/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".ico"] = "image/x-icon",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly Lazy<FrozenDictionary<string, byte[]>> Responses = new(Load);

    /// <summary>The whole 200 response for <paramref name="path"/>, or null when there is no such file.</summary>
    public static byte[]? Find(string path) =>
        Responses.Value.GetValueOrDefault(path == "/" ? "/index.html" : path);

    private static FrozenDictionary<string, byte[]> Load()
    {
        var assembly = typeof(WebPage).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal)
                || !ContentTypes.TryGetValue(Path.GetExtension(name), out var contentType))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(name)!;
            using var content = new MemoryStream();
            stream.CopyTo(content);
            files["/" + name[ResourcePrefix.Length..]] = HttpResponses.Build(200, contentType, content.ToArray());
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
