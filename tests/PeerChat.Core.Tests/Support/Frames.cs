using System.Text.Json;

namespace PeerChat.Core.Tests.Support;

/// <summary>Short reads of frame fields for assertions.</summary>
public static class Frames
{
    public static string Type(this JsonElement frame) => frame.GetProperty("type").GetString()!;

    public static string? Code(this JsonElement frame) => frame.TryGetProperty("code", out var code) ? code.GetString() : null;

    public static string Str(this JsonElement frame, string name) => frame.GetProperty(name).GetString()!;

    public static void AssertError(this JsonElement frame, string code)
    {
        Assert.True(frame.Type() == "error" && frame.Code() == code, $"Expected error {code}, got {frame}");
    }
}
