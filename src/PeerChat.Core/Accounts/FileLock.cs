namespace PeerChat.Core.Accounts;

/// <summary>
/// An exclusive lock between processes on a lock file. .NET takes an advisory <c>flock</c> for
/// <see cref="FileShare.None"/> on Unix, so two PeerChat processes writing one store wait for each other.
/// </summary>
internal static class FileLock
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(30);

    public static async Task<IDisposable> AcquireAsync(string lockPath, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + GiveUpAfter;
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                return new FileStream(lockPath, options);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                // Held by another process: its write takes milliseconds.
                await Task.Delay(RetryInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
