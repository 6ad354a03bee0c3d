namespace PeerChat.Core.Tests.Support;

/// <summary>A test that needs redis-server: skipped when it is missing and CI is unset; under CI it fails instead.</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute() => Skip = RedisServer.SkipReason;
}
