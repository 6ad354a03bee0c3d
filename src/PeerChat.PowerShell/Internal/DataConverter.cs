using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Text.Json;

namespace PeerChat.PowerShell.Internal;

/// <summary>
/// Turns a PowerShell hashtable into the JSON object of a frame's <c>data</c>, and back, so that
/// nested hashtables, arrays, numbers, booleans, dates and nulls arrive as they were sent.
/// </summary>
/// <remarks>
/// What round-trips, as ConvertFrom-Json reads JSON: integers arrive as Int32 when they fit, else
/// Int64; every other number (1.5, a [decimal], an integer past Int64) as Double; a DateTime or
/// DateTimeOffset is sent as an ISO-8601 UTC string and arrives as a UTC DateTime. A string that
/// only looks like such a date arrives as a DateTime too, as with ConvertFrom-Json.
/// </remarks>
internal static class DataConverter
{
    private const int MaxDepth = 64;

    /// <summary>
    /// The <c>-Data</c> of a send cmdlet, converted once in BeginProcessing: data that cannot be sent
    /// stops the cmdlet with a terminating InvalidData error before anything is sent, so a pipeline
    /// never leaves some messages delivered and the rest refused for the same bad value.
    /// </summary>
    public static JsonElement? ToJsonOrStop(Cmdlet cmdlet, Hashtable? data)
    {
        try
        {
            return data is null ? null : ToJson(data);
        }
        catch (ArgumentException ex)
        {
            cmdlet.ThrowTerminatingError(PeerChatErrors.InvalidData(ex, data));
            return null;
        }
    }

    public static JsonElement ToJson(IDictionary data)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteValue(writer, data, 0);
        }

        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }

    public static Hashtable ToHashtable(JsonElement element)
    {
        var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var property in element.EnumerateObject())
        {
            table[property.Name] = ToValue(property.Value);
        }

        return table;
    }

    private static object? ToValue(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => ToHashtable(element),
        JsonValueKind.Array => element.EnumerateArray().Select(ToValue).ToArray(),
        JsonValueKind.String => element.GetString() is { } text && TryReadDate(text, out var date) ? date : element.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when element.TryGetInt32(out var i) => i,
        JsonValueKind.Number when element.TryGetInt64(out var l) => l,
        JsonValueKind.Number => element.GetDouble(),
        _ => null,
    };

    // Exactly what WriteValue writes for a date: round-trip format in UTC, seven fraction digits.
    private const string DateFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'Z'";

    private static bool TryReadDate(string text, out DateTime date) =>
        DateTime.TryParseExact(text, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out date);

    private static void WriteValue(Utf8JsonWriter writer, object? value, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException($"-Data is nested more than {MaxDepth} levels deep.");
        }

        if (value is PSObject wrapped)
        {
            value = wrapped.BaseObject is PSCustomObject ? wrapped : wrapped.BaseObject;
        }

        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case char c:
                writer.WriteStringValue(c.ToString());
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case int or long or short or byte or sbyte or ushort or uint:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong u:
                writer.WriteNumberValue(u);
                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            case double or float:
                var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (!double.IsFinite(number))
                {
                    throw new ArgumentException($"-Data holds {number}, which JSON cannot carry.");
                }

                writer.WriteNumberValue(number);
                break;
            case DateTime time:
                writer.WriteStringValue(time.ToUniversalTime().ToString(DateFormat, CultureInfo.InvariantCulture));
                break;
            case DateTimeOffset time:
                writer.WriteStringValue(time.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture));
                break;
            case IDictionary dictionary:
                writer.WriteStartObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    writer.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty);
                    WriteValue(writer, entry.Value, depth + 1);
                }

                writer.WriteEndObject();
                break;
            case PSObject custom:
                writer.WriteStartObject();
                foreach (var property in custom.Properties)
                {
                    writer.WritePropertyName(property.Name);
                    WriteValue(writer, property.Value, depth + 1);
                }

                writer.WriteEndObject();
                break;
            case IEnumerable items:
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    WriteValue(writer, item, depth + 1);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
