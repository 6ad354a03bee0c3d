using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace PeerChat.PowerShell.Internal;

/// <summary>
/// Loads the message store (PeerChat.Store.Sqlite) and its SQLite in a load context of the module's
/// own, as PowerShell's guidance on module dependency conflicts describes: another module in the
/// same pwsh may have loaded another Microsoft.Data.Sqlite or SQLitePCLRaw into the default context,
/// and ours must neither clash with it nor replace it. The store and its dependencies ship in the
/// module's dependencies/ folder, where neither .NET nor PowerShell looks on its own, so the
/// default context asks the <see cref="AssemblyLoadContext.Resolving"/> handler for the store, and
/// only for it; everything the store needs is then found by the module's context.
/// </summary>
public sealed class ModuleDependencies : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    internal const string StoreAssemblyName = "PeerChat.Store.Sqlite";

    /// <summary>The Redis store and cluster (docs/CLUSTER.md), with StackExchange.Redis: in the same context, for the same reason.</summary>
    internal const string ClusterAssemblyName = "PeerChat.Cluster.Redis";

    /// <summary>The native libraries shipped, one per platform; elsewhere a store cannot open.</summary>
    internal static readonly string[] ShippedRuntimes = ["linux-x64", "linux-arm64", "win-x64", "osx-arm64"];

    internal static string DependencyDirectory { get; } =
        Path.Combine(Path.GetDirectoryName(typeof(ModuleDependencies).Assembly.Location)!, "dependencies");

    // One for the process: the store's assemblies cannot be unloaded while a server may use them,
    // so an Import-Module after a Remove-Module finds the same context.
    private static readonly Lazy<DependencyLoadContext> s_context = new(() => new DependencyLoadContext(DependencyDirectory));

    /// <summary>The context the store loads in; for tests and diagnostics.</summary>
    internal static AssemblyLoadContext Context => s_context.Value;

    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveStore;

    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.Resolving -= ResolveStore;

    private static Assembly? ResolveStore(AssemblyLoadContext defaultContext, AssemblyName name) =>
        name.Name is StoreAssemblyName or ClusterAssemblyName && File.Exists(Path.Combine(DependencyDirectory, name.Name + ".dll"))
            ? s_context.Value.LoadFromAssemblyName(name)
            : null;

    /// <summary>The runtime identifier of the native library this process needs, such as linux-x64.</summary>
    internal static string CurrentRuntime()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : OperatingSystem.IsLinux() ? "linux" : RuntimeInformation.OSDescription;
        var architecture = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        return $"{os}-{architecture}";
    }

    /// <summary>Where the native SQLite for this process is, or would be.</summary>
    internal static string NativeLibraryPath(string directory)
    {
        var file = OperatingSystem.IsWindows() ? "e_sqlite3.dll" : OperatingSystem.IsMacOS() ? "libe_sqlite3.dylib" : "libe_sqlite3.so";
        return Path.Combine(directory, "runtimes", CurrentRuntime(), "native", file);
    }

    private sealed class DependencyLoadContext(string directory) : AssemblyLoadContext("PeerChat.Dependencies")
    {
        protected override Assembly? Load(AssemblyName assemblyName)
        {
            // PeerChat.Core is the default context's: the store's IMessageStore must be the very
            // type the server and the cmdlets know, so it is never loaded a second time here.
            if (assemblyName.Name is null || assemblyName.Name == "PeerChat.Core")
            {
                return null;
            }

            // The copy compiled ahead of time for this platform (build.ps1 Invoke-LayoutReadyToRun),
            // else the portable one: compiled code for another platform does not load at all.
            var compiled = Path.Combine(directory, "runtimes", CurrentRuntime(), "lib", assemblyName.Name + ".dll");
            if (File.Exists(compiled))
            {
                return LoadFromAssemblyPath(compiled);
            }

            var path = Path.Combine(directory, assemblyName.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }

        /// <summary>e_sqlite3, which SQLitePCLRaw imports, from dependencies/runtimes/&lt;rid&gt;/native.</summary>
        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            if (!unmanagedDllName.Contains("e_sqlite3", StringComparison.Ordinal))
            {
                return IntPtr.Zero;
            }

            // Elsewhere than the shipped platforms there is no file: DllNotFoundException, which the
            // cmdlet that opens the store explains.
            var path = NativeLibraryPath(directory);
            if (!File.Exists(path))
            {
                return IntPtr.Zero;
            }

            return LoadUnmanagedDllFromPath(path);
        }
    }
}
