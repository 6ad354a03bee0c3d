using System.Globalization;
using System.Net;
using System.Reflection;
using PeerChat.Core.Chat;

namespace PeerChat.Core;

/// <summary>
/// The settings of <see cref="ChatServerOptions"/> by name, for hosts that read them from text (a
/// configuration file, a command line): every plain-valued property, its default, and a conversion
/// that names the setting and the value it refuses. The defaults are read from the options record
/// itself, so a host never retypes them.
/// </summary>
public static class ServerSettings
{
    private static readonly Type[] SupportedTypes =
        [typeof(int), typeof(long), typeof(double), typeof(bool), typeof(string), typeof(TimeSpan), typeof(IPAddress), typeof(int?), typeof(long?), typeof(string[])];

    /// <summary>Every setting, in the order the options record declares them.</summary>
    public static IReadOnlyList<PropertyInfo> All { get; } =
        [.. typeof(ChatServerOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && SupportedTypes.Contains(p.PropertyType))
            .OrderBy(p => p.MetadataToken)];

    /// <summary>The setting named <paramref name="name"/> (any case), or null.</summary>
    public static PropertyInfo? Find(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The message store's settings (<see cref="MessageStoreSettings"/>: retention, the offline queue
    /// limit, the size cap), by name as <see cref="All"/> is the server's. The store validates them
    /// when it opens.
    /// </summary>
    public static IReadOnlyList<PropertyInfo> Store { get; } =
        [.. typeof(MessageStoreSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && SupportedTypes.Contains(p.PropertyType))
            .OrderBy(p => p.MetadataToken)];

    /// <summary>The message store setting named <paramref name="name"/> (any case), or null.</summary>
    public static PropertyInfo? FindStore(string name) =>
        Store.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary><paramref name="settings"/> with <paramref name="values"/> (message store settings by name) applied; an <see cref="ArgumentException"/> names the first unknown setting or unreadable value.</summary>
    public static MessageStoreSettings ApplyStore(MessageStoreSettings settings, IEnumerable<KeyValuePair<string, object?>> values)
    {
        var result = settings with { };
        foreach (var (name, value) in values)
        {
            var setting = FindStore(name)
                ?? throw new ArgumentException($"There is no message store setting '{name}'. The settings are: {string.Join(", ", Store.Select(p => p.Name))}.", name);
            setting.SetValue(result, ConvertValue(setting, value));
        }

        return result;
    }

    /// <summary>
    /// <paramref name="options"/> with <paramref name="values"/> applied, then validated. Throws
    /// <see cref="ArgumentException"/> naming the first unknown setting, unreadable value or value
    /// out of range (its ParamName is the setting).
    /// </summary>
    public static ChatServerOptions Apply(ChatServerOptions options, IEnumerable<KeyValuePair<string, object?>> values)
    {
        var result = options with { };
        foreach (var (name, value) in values)
        {
            var setting = Find(name)
                ?? throw new ArgumentException($"There is no server setting '{name}'. The settings are: {string.Join(", ", All.Select(p => p.Name))}.", name);
            setting.SetValue(result, ConvertValue(setting, value));
        }

        result.Validate();
        return result;
    }

    /// <summary>A setting's value as text for a PowerShell data file (.psd1).</summary>
    public static string ToPowerShellLiteral(object? value) => value switch
    {
        null => "$null",
        bool b => b ? "$true" : "$false",
        TimeSpan span => "'" + span.ToString("c", CultureInfo.InvariantCulture) + "'",
        IPAddress address => "'" + address + "'",
        string[] list => "@(" + string.Join(", ", list.Select(ToPowerShellLiteral)) + ")",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => "'" + value.ToString()!.Replace("'", "''", StringComparison.Ordinal) + "'",
    };

    /// <summary><paramref name="value"/> as the type of <paramref name="setting"/>; an <see cref="ArgumentException"/> naming both when it cannot be.</summary>
    public static object? ConvertValue(PropertyInfo setting, object? value)
    {
        var type = Nullable.GetUnderlyingType(setting.PropertyType) ?? setting.PropertyType;
        if (value is null)
        {
            return setting.PropertyType == type && type.IsValueType
                ? throw Refused(setting, value, "must have a value")
                : null;
        }

        try
        {
            return type switch
            {
                _ when type == typeof(TimeSpan) => ToTimeSpan(value),
                _ when type == typeof(IPAddress) => value as IPAddress ?? IPAddress.Parse(Convert.ToString(value, CultureInfo.InvariantCulture)!),
                _ when type == typeof(bool) => value is bool b ? b : throw new FormatException(),
                _ when type == typeof(string) => value as string ?? throw new FormatException(),
                _ when type == typeof(string[]) => ToStrings(value),
                _ when (type == typeof(int) || type == typeof(long)) && value is double or float or decimal && Convert.ToDouble(value, CultureInfo.InvariantCulture) % 1 != 0 => throw new FormatException(),
                _ => Convert.ChangeType(value, type, CultureInfo.InvariantCulture),
            };
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
        {
            throw Refused(setting, value, "must be " + Describe(type));
        }
    }

    /// <summary>One string, or a list of them (an array from PowerShell or a .psd1 file).</summary>
    private static string[] ToStrings(object value) => value switch
    {
        string text => [text],
        System.Collections.IEnumerable items => [.. items.Cast<object?>().Select(item => item as string ?? throw new FormatException())],
        _ => throw new FormatException(),
    };

    /// <summary>A number is seconds; a string is seconds too when it is a number, else a time span such as '00:30:00'.</summary>
    private static TimeSpan ToTimeSpan(object value) => value switch
    {
        TimeSpan span => span,
        string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) => TimeSpan.FromSeconds(seconds),
        string text => TimeSpan.Parse(text, CultureInfo.InvariantCulture),
        _ => TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
    };

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(TimeSpan) => "a number of seconds or a time span such as '00:30:00'",
        _ when type == typeof(IPAddress) => "an IP address such as '::' or '127.0.0.1'",
        _ when type == typeof(bool) => "$true or $false",
        _ when type == typeof(string) => "a string",
        _ when type == typeof(string[]) => "a string or a list of strings",
        _ when type == typeof(double) => "a number",
        _ => "a whole number",
    };

    private static ArgumentException Refused(PropertyInfo setting, object? value, string rule) =>
        new($"The server setting {setting.Name} = '{value}' is refused: it {rule}.", setting.Name);
}
