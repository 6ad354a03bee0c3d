using System.Text;

namespace PeerChat.Core.Accounts;

/// <summary>
/// Accounts in a CSV file shaped like the original program's <c>users.csv</c>: one <c>user,hash</c>
/// line each, the hash being a <see cref="PasswordHasher"/> record. The file is written whole,
/// atomically (temporary file in the same folder, flushed to disk, renamed over the old one),
/// one writer at a time; a line that cannot be read is reported and written back unchanged.
/// A path that is a symbolic link is followed on purpose (a store kept elsewhere and linked in stays
/// linked): reads and writes go to the file it finally points to, and the temporary file is made in
/// that file's folder, so the rename replaces the target and never the link.
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

    private readonly List<string> _notices = [];

    private CsvUserStore(string path) => Path = path;

    /// <summary>The path the store was opened with (perhaps a link; see <see cref="FilePath"/>).</summary>
    public string Path { get; }

    /// <summary>The file read and written: <see cref="Path"/>, or the file it finally links to.</summary>
    public string FilePath => ResolveLinks(Path);

    /// <summary>What opening the store changed and its owner should know (permissions made private).</summary>
    public IReadOnlyList<string> Notices => _notices;

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

    /// <summary>
    /// Opens the store at <paramref name="path"/>, creating the folder and an empty file (mode 0600)
    /// when missing. An existing file that others may read is made private at once (a notice says
    /// so), or, when that is not allowed, refused with <see cref="UnauthorizedAccessException"/>.
    /// </summary>
    public static CsvUserStore Open(string path)
    {
        var store = new CsvUserStore(System.IO.Path.GetFullPath(path));
        store.EnsureFileExists();
        store.MakePrivate();
        store.Reload();
        return store;
    }

    /// <summary>Every account, in no particular order (for moving a server's accounts into a cluster).</summary>
    public IReadOnlyList<UserRecord> ListAccounts()
    {
        ReloadIfChangedElsewhere();
        lock (_stateLock)
        {
            return _content.Accounts.Values.ToList();
        }
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
            // Resolved once for the whole change; the lock sits beside the real file, so a process
            // that opened the store through the link and one that opened the target share it.
            var file = FilePath;
            using var processLock = await FileLock.AcquireAsync(file + ".lock", cancellationToken).ConfigureAwait(false);
            RemoveAbandonedTemporaryFiles(file);
            if (FileStamp.Of(file) != _loadedStamp)
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

            WriteAtomically(file, updated.Serialize());
            lock (_stateLock)
            {
                _content = updated;
                _loadedStamp = FileStamp.Of(file);
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
            var file = FilePath;
            var stamp = FileStamp.Of(file);
            if (onlyIfChanged && stamp == _loadedStamp)
            {
                return;
            }

            _content = UserStoreContent.Parse(Path, File.ReadAllBytes(file), StrictUtf8);
            _loadedStamp = stamp;
        }
    }

    private void EnsureFileExists()
    {
        // A link to a file not made yet: the file is made where the link points.
        var file = FilePath;
        var folder = System.IO.Path.GetDirectoryName(file)!;
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

        if (!File.Exists(file))
        {
            try
            {
                using var _ = new FileStream(file, CreateOptions(FileMode.CreateNew));
            }
            catch (IOException) when (File.Exists(file))
            {
                // Another process created it first: that file is as good as ours.
            }
        }
    }

    private static string TemporaryFilePattern(string file) => $".{System.IO.Path.GetFileName(file)}.*.tmp";

    /// <summary>
    /// A writer killed between writing its temporary file and renaming it leaves the file behind.
    /// Only called under the lock between processes, so no live writer's file is touched.
    /// </summary>
    private static void RemoveAbandonedTemporaryFiles(string file)
    {
        foreach (var abandoned in Directory.EnumerateFiles(System.IO.Path.GetDirectoryName(file)!, TemporaryFilePattern(file)))
        {
            File.Delete(abandoned);
        }
    }

    private static void WriteAtomically(string file, byte[] bytes)
    {
        var folder = System.IO.Path.GetDirectoryName(file)!;
        var temporary = System.IO.Path.Combine(folder, TemporaryFilePattern(file).Replace("*", Guid.NewGuid().ToString("N"), StringComparison.Ordinal));
        try
        {
            using (var stream = new FileStream(temporary, CreateOptions(FileMode.CreateNew)))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, file, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>
    /// The file holds password hashes: one that others may read (made by hand, copied in, or left
    /// by an old version) is made owner-only now, not at the first write, which may never come.
    /// </summary>
    private void MakePrivate()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var file = FilePath;
        var mode = File.GetUnixFileMode(file);
        const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((mode & Others) == 0)
        {
            return;
        }

        try
        {
            File.SetUnixFileMode(file, mode & ~Others);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new UnauthorizedAccessException(
                $"The user store {file} holds password hashes and others may access it (mode {Octal(mode)}), and it cannot be made private: {ex.Message} Make it owner-only (chmod 600) or choose another store.",
                ex);
        }

        _notices.Add($"The user store {file} was open to others (mode {Octal(mode)}); it is now owner-only (mode {Octal(mode & ~Others)}).");
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');

    /// <summary>The file a chain of symbolic links ends at (<paramref name="path"/> itself when it is no link).</summary>
    private static string ResolveLinks(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is null ? path : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
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
