using System.Text;

namespace PeerChat.Core.Accounts;

/// <summary>
/// Accounts in a CSV file shaped like the original program's <c>users.csv</c>: one <c>user,hash</c>
/// line each, the hash being a <see cref="PasswordHasher"/> record. The file is written whole,
/// atomically (temporary file in the same folder, flushed to disk, renamed over the old one),
/// one writer at a time; a line that cannot be read is reported and written back unchanged.
/// </summary>
public sealed class CsvUserStore : IUserStore
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Owner read/write only: the file holds password hashes.
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly object _stateLock = new();
    private UserStoreContent _content = UserStoreContent.Empty;
    private FileStamp _loadedStamp;

    private CsvUserStore(string path) => Path = path;

    public string Path { get; }

    /// <summary><c>~/.peerchat/users.csv</c>.</summary>
    public static string DefaultPath =>
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".peerchat", "users.csv");

    public IReadOnlyList<UserStoreIssue> Issues
    {
        get
        {
            lock (_stateLock)
            {
                return _content.Issues;
            }
        }
    }

    /// <inheritdoc/>
    public int? TypicalIterations
    {
        get
        {
            lock (_stateLock)
            {
                return _content.TypicalIterations;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_stateLock)
            {
                return _content.Accounts.Count;
            }
        }
    }

    /// <summary>Opens the store at <paramref name="path"/>, creating the folder and an empty file (mode 0600) when missing.</summary>
    public static CsvUserStore Open(string path)
    {
        var store = new CsvUserStore(System.IO.Path.GetFullPath(path));
        store.EnsureFileExists();
        store.Reload();
        return store;
    }

    public UserRecord? Find(string userName)
    {
        ReloadIfChangedElsewhere();
        lock (_stateLock)
        {
            return _content.Accounts.TryGetValue(userName, out var record) ? record : null;
        }
    }

    /// <summary>
    /// Adds every account whose name is free, in one atomic write; returns the ones added. For
    /// imports, where one write per account would rewrite the file once per line.
    /// </summary>
    public async Task<IReadOnlyList<UserRecord>> TryAddManyAsync(IReadOnlyList<UserRecord> records, CancellationToken cancellationToken = default)
    {
        var added = new List<UserRecord>();
        await ChangeAsync(
            content =>
            {
                added.Clear();
                foreach (var record in records)
                {
                    if (PasswordRules.IsValidUserName(record.UserName) && !content.Accounts.ContainsKey(record.UserName))
                    {
                        content = content.WithAccount(record);
                        added.Add(record);
                    }
                }

                return added.Count > 0 ? content : null;
            },
            cancellationToken).ConfigureAwait(false);
        return added;
    }

    public Task<bool> TryAddAsync(string userName, string hashRecord, CancellationToken cancellationToken = default)
    {
        if (!PasswordRules.IsValidUserName(userName))
        {
            throw new ArgumentException($"'{userName}' is not a valid user name.", nameof(userName));
        }

        return ChangeAsync(content => content.Accounts.ContainsKey(userName) ? null : content.WithAccount(new UserRecord(userName, hashRecord)), cancellationToken);
    }

    public async Task UpdateAsync(string userName, string hashRecord, CancellationToken cancellationToken = default)
    {
        var changed = await ChangeAsync(
            content => content.Accounts.TryGetValue(userName, out var existing) ? content.WithAccount(existing with { HashRecord = hashRecord }) : null,
            cancellationToken).ConfigureAwait(false);
        if (!changed)
        {
            throw new KeyNotFoundException($"There is no account named '{userName}'.");
        }
    }

    /// <summary>
    /// Applies <paramref name="change"/> (null: nothing to do) to the file's current content and
    /// writes it. The file is read again first when another process changed it since, so that two
    /// writers never lose each other's accounts.
    /// </summary>
    private async Task<bool> ChangeAsync(Func<UserStoreContent, UserStoreContent?> change, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var processLock = await FileLock.AcquireAsync(Path + ".lock", cancellationToken).ConfigureAwait(false);
            RemoveAbandonedTemporaryFiles();
            if (FileStamp.Of(Path) != _loadedStamp)
            {
                Reload();
            }

            UserStoreContent? updated;
            lock (_stateLock)
            {
                updated = change(_content);
            }

            if (updated is null)
            {
                return false;
            }

            WriteAtomically(updated.Serialize());
            lock (_stateLock)
            {
                _content = updated;
                _loadedStamp = FileStamp.Of(Path);
            }

            return true;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Another process (an import, say) changed the file: read it again, so its accounts can log in.</summary>
    private void ReloadIfChangedElsewhere()
    {
        try
        {
            Reload(onlyIfChanged: true);
        }
        catch (IOException)
        {
            // Mid-rename on a busy file system: the next look will see it.
        }
    }

    /// <summary>
    /// Reads the file into memory. The check, the read and the swap happen under one lock that a
    /// write's own update also takes, so a reader can never put back content older than a write.
    /// </summary>
    private void Reload(bool onlyIfChanged = false)
    {
        lock (_stateLock)
        {
            var stamp = FileStamp.Of(Path);
            if (onlyIfChanged && stamp == _loadedStamp)
            {
                return;
            }

            _content = UserStoreContent.Parse(Path, File.ReadAllBytes(Path), StrictUtf8);
            _loadedStamp = stamp;
        }
    }

    private void EnsureFileExists()
    {
        var folder = System.IO.Path.GetDirectoryName(Path)!;
        if (!Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(folder, PrivateFolder);
            }
        }

        if (!File.Exists(Path))
        {
            try
            {
                using var _ = new FileStream(Path, CreateOptions(FileMode.CreateNew));
            }
            catch (IOException) when (File.Exists(Path))
            {
                // Another process created it first: that file is as good as ours.
            }
        }
    }

    private string TemporaryFilePattern => $".{System.IO.Path.GetFileName(Path)}.*.tmp";

    /// <summary>
    /// A writer killed between writing its temporary file and renaming it leaves the file behind.
    /// Only called under the lock between processes, so no live writer's file is touched.
    /// </summary>
    private void RemoveAbandonedTemporaryFiles()
    {
        foreach (var abandoned in Directory.EnumerateFiles(System.IO.Path.GetDirectoryName(Path)!, TemporaryFilePattern))
        {
            File.Delete(abandoned);
        }
    }

    private void WriteAtomically(byte[] bytes)
    {
        var folder = System.IO.Path.GetDirectoryName(Path)!;
        var temporary = System.IO.Path.Combine(folder, TemporaryFilePattern.Replace("*", Guid.NewGuid().ToString("N"), StringComparison.Ordinal));
        try
        {
            using (var stream = new FileStream(temporary, CreateOptions(FileMode.CreateNew)))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private static FileStreamOptions CreateOptions(FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile;
        }

        return options;
    }

    /// <summary>What identifies one version of the file, to notice another writer's change.</summary>
    private readonly record struct FileStamp(DateTime LastWriteUtc, long Length)
    {
        public static FileStamp Of(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(info.LastWriteTimeUtc, info.Length) : default;
        }
    }
}
