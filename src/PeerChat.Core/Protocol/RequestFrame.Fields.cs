using System.Text.Json;

namespace PeerChat.Core.Protocol;

public sealed partial class RequestFrame
{
    /// <summary>
    /// The top-level fields a request may have, found in one pass over the object: looking each
    /// name up instead (TryGetProperty) scans the object and transcodes the name some twenty times
    /// a frame, a few percent of the server's CPU per relayed message. A field given twice counts
    /// once, its last value, as TryGetProperty has it. Absent fields are Undefined.
    /// </summary>
    private struct Fields
    {
        public JsonElement Type;
        public JsonElement Id;
        public JsonElement Data;
        public JsonElement Peer;
        public JsonElement User;
        public JsonElement Password;
        public JsonElement Text;
        public JsonElement To;
        public JsonElement DirectId;
        public JsonElement Direct;
        public JsonElement Presence;
        public JsonElement Receipts;
        public JsonElement Room;
        public JsonElement With;
        public JsonElement Before;
        public JsonElement After;
        public JsonElement Since;
        public JsonElement Limit;
        public JsonElement UpTo;

        /// <summary>Whether any field of <see cref="OtherFields"/> is given (absent ones read as its defaults).</summary>
        public readonly bool HasOthers =>
            User.ValueKind != JsonValueKind.Undefined || Password.ValueKind != JsonValueKind.Undefined
            || Direct.ValueKind != JsonValueKind.Undefined || Presence.ValueKind != JsonValueKind.Undefined
            || Receipts.ValueKind != JsonValueKind.Undefined || Peer.ValueKind != JsonValueKind.Undefined
            || With.ValueKind != JsonValueKind.Undefined || Before.ValueKind != JsonValueKind.Undefined
            || After.ValueKind != JsonValueKind.Undefined || Since.ValueKind != JsonValueKind.Undefined
            || Limit.ValueKind != JsonValueKind.Undefined || UpTo.ValueKind != JsonValueKind.Undefined;

        public static Fields Read(JsonElement root)
        {
            var fields = default(Fields);
            foreach (var property in root.EnumerateObject())
            {
                // The fields of every message first.
                if (property.NameEquals("type"u8))
                {
                    fields.Type = property.Value;
                }
                else if (property.NameEquals("id"u8))
                {
                    fields.Id = property.Value;
                }
                else if (property.NameEquals("to"u8))
                {
                    fields.To = property.Value;
                }
                else if (property.NameEquals("text"u8))
                {
                    fields.Text = property.Value;
                }
                else if (property.NameEquals("data"u8))
                {
                    fields.Data = property.Value;
                }
                else if (property.NameEquals("room"u8))
                {
                    fields.Room = property.Value;
                }
                else if (property.NameEquals("directId"u8))
                {
                    fields.DirectId = property.Value;
                }
                else if (property.NameEquals("user"u8))
                {
                    fields.User = property.Value;
                }
                else if (property.NameEquals("password"u8))
                {
                    fields.Password = property.Value;
                }
                else if (property.NameEquals("presence"u8))
                {
                    fields.Presence = property.Value;
                }
                else if (property.NameEquals("receipts"u8))
                {
                    fields.Receipts = property.Value;
                }
                else if (property.NameEquals("peer"u8))
                {
                    fields.Peer = property.Value;
                }
                else if (property.NameEquals("direct"u8))
                {
                    fields.Direct = property.Value;
                }
                else if (property.NameEquals("with"u8))
                {
                    fields.With = property.Value;
                }
                else if (property.NameEquals("before"u8))
                {
                    fields.Before = property.Value;
                }
                else if (property.NameEquals("after"u8))
                {
                    fields.After = property.Value;
                }
                else if (property.NameEquals("since"u8))
                {
                    fields.Since = property.Value;
                }
                else if (property.NameEquals("limit"u8))
                {
                    fields.Limit = property.Value;
                }
                else if (property.NameEquals("upTo"u8))
                {
                    fields.UpTo = property.Value;
                }
            }

            return fields;
        }
    }
}
