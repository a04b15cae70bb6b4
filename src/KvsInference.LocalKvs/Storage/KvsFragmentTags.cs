using System.Globalization;
using KvsInference.Kvs;
using KvsInference.Matroska;

namespace KvsInference.LocalKvs.Storage;

/// <summary>
/// Builds the Tags elements KVS puts around each fragment of GetMedia output: before the Cluster
/// AWS_KINESISVIDEO_FRAGMENT_NUMBER, _SERVER_TIMESTAMP and _PRODUCER_TIMESTAMP; after it
/// AWS_KINESISVIDEO_MILLIS_BEHIND_NOW and _CONTINUATION_TOKEN.
/// </summary>
/// <remarks>Timestamps are seconds since the epoch with a millisecond fraction ("1519079134.123"), as KVS writes them.</remarks>
internal static class KvsFragmentTags
{
    public static byte[] Before(StoredFragment fragment) => Before(fragment.FragmentNumber, fragment.ServerTimestamp, fragment.ProducerTimestamp);

    public static byte[] Before(string fragmentNumber, DateTimeOffset serverTimestamp, DateTimeOffset producerTimestamp) => EbmlWriter.Tags(
        (KvsFragmentTagNames.FragmentNumber, fragmentNumber),
        (KvsFragmentTagNames.ServerTimestamp, MediaStore.FormatSeconds(serverTimestamp)),
        (KvsFragmentTagNames.ProducerTimestamp, MediaStore.FormatSeconds(producerTimestamp)));

    public static byte[] After(long millisBehindNow, string continuationToken) => EbmlWriter.Tags(
        (KvsFragmentTagNames.MillisBehindNow, millisBehindNow.ToString(CultureInfo.InvariantCulture)),
        (KvsFragmentTagNames.ContinuationToken, continuationToken));
}
