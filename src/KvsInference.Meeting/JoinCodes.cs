using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace KvsInference.Meeting;

/// <summary>What a join code opens: the meeting as a viewer.</summary>
/// <param name="Mode">"local" or "aws": how the page connects.</param>
/// <param name="MeetingId">The meeting id.</param>
/// <param name="ChannelArn">The meeting's signaling channel.</param>
/// <param name="ViewerToken">The meeting's viewer token.</param>
/// <param name="SignalingPath">Where this process serves signaling (local mode), or null (AWS mode: presigned URLs).</param>
/// <param name="Video">Whether the master sends the avatar as video.</param>
public sealed record JoinGrant(string Mode, string MeetingId, string ChannelArn, string ViewerToken, string? SignalingPath, bool Video);

/// <summary>
/// Short join codes for meeting links: <c>/?join=abcd-efgh-jkmn</c> instead of a link that carries the viewer token
/// (about 300 characters). The code is the secret of the link: whoever has it gets the viewer token from
/// <c>GET /meeting/api/join/{code}</c>. 12 characters of a 31-letter alphabet (no 0/o, 1/l/i to misread) are 59 bits
/// from <see cref="RandomNumberGenerator"/>, too many to guess over HTTP while a meeting lasts. A code dies with its
/// meeting; the last <see cref="EndedMemory"/> ended meetings are remembered so that a late visitor is told the
/// meeting ended rather than that the link is wrong.
/// </summary>
public sealed class JoinCodes
{
    /// <summary>The letters of a code.</summary>
    public const string Alphabet = "abcdefghjkmnpqrstuvwxyz23456789";

    /// <summary>The number of letters in a code (without the dashes that group it by four).</summary>
    public const int Length = 12;

    /// <summary>How many ended meetings are remembered as ended.</summary>
    public const int EndedMemory = 1024;

    private readonly ConcurrentDictionary<string, JoinGrant> _byCode = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _codeByMeeting = new(StringComparer.Ordinal);
    private readonly Lock _endedGate = new();
    private readonly HashSet<string> _ended = new(StringComparer.Ordinal); // codes and meeting ids
    private readonly Queue<(string Code, string MeetingId)> _endedOrder = new();

    /// <summary>Issues the code of a meeting.</summary>
    /// <param name="grant">What the code opens.</param>
    /// <returns>The code, grouped by four with dashes (e.g. <c>k7mq-x9pa-r4fd</c>).</returns>
    public string Issue(JoinGrant grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        while (true)
        {
            var letters = new char[Length];
            for (int i = 0; i < Length; i++) letters[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            var code = new string(letters);
            if (_byCode.TryAdd(code, grant))
            {
                _codeByMeeting[grant.MeetingId] = code;
                return $"{code[..4]}-{code[4..8]}-{code[8..]}";
            }
        }
    }

    /// <summary>Looks a code up; case, dashes and spaces do not matter.</summary>
    /// <param name="code">The code as typed or taken from the link.</param>
    /// <param name="grant">What it opens, when found.</param>
    /// <param name="ended">Whether the code was a meeting's that has ended (when not found).</param>
    /// <returns>True when the code opens a meeting that exists.</returns>
    public bool TryGet(string? code, out JoinGrant? grant, out bool ended)
    {
        var normalized = Normalize(code);
        grant = null;
        ended = false;
        if (normalized is null) return false;
        if (_byCode.TryGetValue(normalized, out grant)) return true;
        lock (_endedGate) ended = _ended.Contains(normalized);
        return false;
    }

    /// <summary>Tells whether a meeting ended (among the last <see cref="EndedMemory"/>).</summary>
    /// <param name="meetingId">The meeting id.</param>
    /// <returns>True when it ended.</returns>
    public bool HasEnded(string meetingId)
    {
        lock (_endedGate) return _ended.Contains(meetingId);
    }

    /// <summary>Ends a meeting's code: from now on it is answered as ended.</summary>
    /// <param name="meetingId">The meeting id.</param>
    public void End(string meetingId)
    {
        if (!_codeByMeeting.TryRemove(meetingId, out var code)) return;
        _byCode.TryRemove(code, out _);
        lock (_endedGate)
        {
            _ended.Add(code);
            _ended.Add(meetingId);
            _endedOrder.Enqueue((code, meetingId));
            while (_endedOrder.Count > EndedMemory)
            {
                var (oldCode, oldId) = _endedOrder.Dequeue();
                _ended.Remove(oldCode);
                _ended.Remove(oldId);
            }
        }
    }

    /// <summary>The code's letters (lower case, no dashes or spaces), or null when it cannot be a code.</summary>
    internal static string? Normalize(string? code)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 64) return null;
        Span<char> letters = stackalloc char[Length];
        int n = 0;
        foreach (var c in code)
        {
            if (c is '-' or ' ') continue;
            var lower = char.ToLowerInvariant(c);
            if (n == Length || !Alphabet.Contains(lower)) return null;
            letters[n++] = lower;
        }
        return n == Length ? new string(letters) : null;
    }
}
