namespace KvsInference.Kvs;

/// <summary>
/// The names of the Matroska tags KVS puts around each fragment of GetMedia output (AWS_KINESISVIDEO_*): read by the
/// Matroska parser, written by the local media store.
/// </summary>
/// <remarks>
/// Before the Cluster: the fragment number and the server and producer timestamps; after it: MILLIS_BEHIND_NOW and
/// CONTINUATION_TOKEN (so those two end a fragment). GetMediaForFragmentList spells the timestamps
/// <c>..._SERVER_SIDE_TIMESTAMP</c> / <c>..._PRODUCER_SIDE_TIMESTAMP</c>; errors come as ERROR_CODE / ERROR_ID or
/// EXCEPTION_ERROR_CODE / EXCEPTION_MESSAGE.
/// </remarks>
public static class KvsFragmentTagNames
{
    /// <summary>The prefix of every KVS fragment tag.</summary>
    public const string Prefix = "AWS_KINESISVIDEO_";
    /// <summary>The fragment number (a decimal string, the checkpoint).</summary>
    public const string FragmentNumber = Prefix + "FRAGMENT_NUMBER";
    /// <summary>The server timestamp (seconds with a millisecond fraction).</summary>
    public const string ServerTimestamp = Prefix + "SERVER_TIMESTAMP";
    /// <summary>The server timestamp as GetMediaForFragmentList spells it.</summary>
    public const string ServerSideTimestamp = Prefix + "SERVER_SIDE_TIMESTAMP";
    /// <summary>The producer timestamp (seconds with a millisecond fraction).</summary>
    public const string ProducerTimestamp = Prefix + "PRODUCER_TIMESTAMP";
    /// <summary>The producer timestamp as GetMediaForFragmentList spells it.</summary>
    public const string ProducerSideTimestamp = Prefix + "PRODUCER_SIDE_TIMESTAMP";
    /// <summary>Milliseconds between this fragment and the newest one (after the Cluster).</summary>
    public const string MillisBehindNow = Prefix + "MILLIS_BEHIND_NOW";
    /// <summary>Where to resume GetMedia (after the Cluster).</summary>
    public const string ContinuationToken = Prefix + "CONTINUATION_TOKEN";
    /// <summary>An error description.</summary>
    public const string ErrorCode = Prefix + "ERROR_CODE";
    /// <summary>An error identifier (e.g. 4000: fragment not found).</summary>
    public const string ErrorId = Prefix + "ERROR_ID";
    /// <summary>An error description (GetMediaForFragmentList).</summary>
    public const string ExceptionErrorCode = Prefix + "EXCEPTION_ERROR_CODE";
    /// <summary>An error message (GetMediaForFragmentList).</summary>
    public const string ExceptionMessage = Prefix + "EXCEPTION_MESSAGE";

    /// <summary>Tells whether a tag name is one KVS writes after a fragment's Cluster, ending the fragment.</summary>
    /// <param name="name">The tag name.</param>
    /// <returns>True for MILLIS_BEHIND_NOW and CONTINUATION_TOKEN.</returns>
    public static bool EndsFragment(string name) => name is MillisBehindNow or ContinuationToken;
}
