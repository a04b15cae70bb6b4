using System.Text;

namespace KvsInference.LocalKvs;

/// <summary>
/// Paging of the stand-ins' list operations (ListStreams, ListFragments, ListSignalingChannels) as KVS pages: items in
/// a stable order, at most MaxResults per page, and an opaque NextToken that names the last item returned, so a page
/// stays right when items are added or deleted between calls.
/// </summary>
internal static class KvsListPage
{
    /// <summary>The NextToken of a page whose last item has the key <paramref name="lastKey"/>.</summary>
    public static string Encode(string lastKey) => Convert.ToBase64String(Encoding.UTF8.GetBytes(lastKey));

    /// <summary>Reads a NextToken.</summary>
    /// <param name="token">The token the caller sent, or null for the first page.</param>
    /// <param name="after">The key after which the page starts, or null for the first page.</param>
    /// <returns>False when the token is not one this service returned.</returns>
    public static bool TryDecode(string? token, out string? after)
    {
        after = null;
        if (token is null) return true;
        try
        {
            after = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
