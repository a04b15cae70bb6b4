using System.Text.Json;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Storage;

/// <summary>
/// The official AWS CLI (v2, Debian's awscli) against the local media store: every operation the store serves, paging
/// through NextToken, and the modelled errors for an unknown stream.
/// </summary>
public sealed class AwsCliAgainstStoreTests
{
    private static readonly AwsCli Cli = new("AKIDKVSINFERENCETEST", "kvs-inference-test-secret", "us-east-1");

    [Fact]
    public async Task AwsCli_ControlPlane_EveryOperationPagingAndErrors()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        var url = new Uri(kit.Server.Url);

        var created = await Cli.OkAsync(url, "kinesisvideo", "create-stream", "--stream-name", "cam-1", "--data-retention-in-hours", "24",
            "--media-type", "audio/webm", "--device-name", "meeting-7", "--tags", "team=avatar");
        var arn = created.GetProperty("StreamARN").GetString()!;
        await Cli.OkAsync(url, "kinesisvideo", "create-stream", "--stream-name", "cam-2");
        await Cli.OkAsync(url, "kinesisvideo", "create-stream", "--stream-name", "other");

        var info = (await Cli.OkAsync(url, "kinesisvideo", "describe-stream", "--stream-arn", arn)).GetProperty("StreamInfo");
        Assert.Equal(("cam-1", "ACTIVE", 24, "audio/webm"), (info.GetProperty("StreamName").GetString(), info.GetProperty("Status").GetString(),
            info.GetProperty("DataRetentionInHours").GetInt32(), info.GetProperty("MediaType").GetString()));

        // --page-size 1: the CLI follows NextToken page by page and merges the pages.
        var all = await Cli.OkAsync(url, "kinesisvideo", "list-streams", "--page-size", "1");
        Assert.Equal(["cam-1", "cam-2", "other"], Names(all));
        var cams = await Cli.OkAsync(url, "kinesisvideo", "list-streams", "--stream-name-condition", "ComparisonOperator=BEGINS_WITH,ComparisonValue=cam-");
        Assert.Equal(["cam-1", "cam-2"], Names(cams));
        var firstPage = await Cli.OkAsync(url, "kinesisvideo", "list-streams", "--max-items", "1");
        Assert.Equal(["cam-1"], Names(firstPage));
        Assert.False(string.IsNullOrEmpty(firstPage.GetProperty("NextToken").GetString()));

        await Cli.OkAsync(url, "kinesisvideo", "tag-stream", "--stream-name", "cam-1", "--tags", "room=7");
        await Cli.OkAsync(url, "kinesisvideo", "untag-stream", "--stream-arn", arn, "--tag-key-list", "team");
        var tags = (await Cli.OkAsync(url, "kinesisvideo", "list-tags-for-stream", "--stream-name", "cam-1")).GetProperty("Tags");
        Assert.Equal("room=7", string.Join(",", tags.EnumerateObject().Select(p => p.Name + "=" + p.Value.GetString())));

        await Cli.OkAsync(url, "kinesisvideo", "update-data-retention", "--stream-name", "cam-1", "--current-version", info.GetProperty("Version").GetString()!,
            "--operation", "INCREASE_DATA_RETENTION", "--data-retention-change-in-hours", "2");
        Assert.Equal(26, (await Cli.OkAsync(url, "kinesisvideo", "describe-stream", "--stream-name", "cam-1")).GetProperty("StreamInfo").GetProperty("DataRetentionInHours").GetInt32());

        var endpoint = (await Cli.OkAsync(url, "kinesisvideo", "get-data-endpoint", "--stream-name", "cam-1", "--api-name", "GET_MEDIA")).GetProperty("DataEndpoint").GetString();
        Assert.Equal(url, new Uri(endpoint!));

        var cam2 = (await Cli.OkAsync(url, "kinesisvideo", "describe-stream", "--stream-name", "cam-2")).GetProperty("StreamInfo").GetProperty("StreamARN").GetString()!;
        await Cli.OkAsync(url, "kinesisvideo", "delete-stream", "--stream-arn", cam2);

        Assert.Contains("ResourceNotFoundException", await Cli.FailAsync(url, "kinesisvideo", "describe-stream", "--stream-name", "cam-2"));
        Assert.Contains("ResourceNotFoundException", await Cli.FailAsync(url, "kinesisvideo", "list-tags-for-stream", "--stream-name", "nope"));
        Assert.Contains("ResourceNotFoundException", await Cli.FailAsync(url, "kinesisvideo", "get-data-endpoint", "--stream-name", "nope", "--api-name", "GET_MEDIA"));
        Assert.Contains("ResourceInUseException", await Cli.FailAsync(url, "kinesisvideo", "create-stream", "--stream-name", "cam-1"));
    }

    [Fact]
    public async Task AwsCli_DataPlane_ListFragmentsPagedGetMediaAndFragmentList()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        var url = new Uri(kit.Server.Url);
        await kit.CreateStreamAsync("speech");
        await kit.PutMediaAsync("speech", File.ReadAllBytes(StoreMedia.SpeechWebm), chunkBytes: 4000);
        var stored = (await kit.PostOkAsync("/listFragments", new { StreamName = "speech" })).GetProperty("Fragments").GetArrayLength();
        Assert.True(stored >= 2, $"the sample should make several fragments, made {stored}");

        var listed = await Cli.OkAsync(url, "kinesis-video-archived-media", "list-fragments", "--stream-name", "speech", "--page-size", "1");
        var numbers = listed.GetProperty("Fragments").EnumerateArray().Select(f => f.GetProperty("FragmentNumber").GetString()!).ToList();
        Assert.Equal(stored, numbers.Count);
        Assert.Equal(numbers.Count, numbers.Distinct().Count());

        var dir = Directory.CreateTempSubdirectory("kvsi-cli-media-").FullName;
        var live = Path.Combine(dir, "earliest.webm");
        var media = await Cli.OkAsync(url, "kinesis-video-media", "get-media", "--stream-name", "speech", "--start-selector", "StartSelectorType=EARLIEST", live);
        Assert.Equal("video/webm", media.GetProperty("ContentType").GetString());
        Assert.Equal(stored, (await MediaStoreTestKit.ParseAsync(File.OpenRead(live))).Count);

        var some = Path.Combine(dir, "list.webm");
        await Cli.OkAsync(url, "kinesis-video-archived-media", "get-media-for-fragment-list", some, "--stream-name", "speech", "--fragments", numbers[0], numbers[^1]);
        Assert.Equal(2, (await MediaStoreTestKit.ParseAsync(File.OpenRead(some))).Count);

        Assert.Contains("ResourceNotFoundException", await Cli.FailAsync(url, "kinesis-video-archived-media", "list-fragments", "--stream-name", "nope"));
        Assert.Contains("ResourceNotFoundException", await Cli.FailAsync(url, "kinesis-video-media", "get-media", "--stream-name", "nope",
            "--start-selector", "StartSelectorType=NOW", Path.Combine(dir, "none.webm")));
        Assert.Contains("ResourceNotFoundException", await Cli.FailAsync(url, "kinesis-video-archived-media", "get-media-for-fragment-list",
            Path.Combine(dir, "none2.webm"), "--stream-name", "nope", "--fragments", "1"));
    }

    private static List<string> Names(JsonElement listStreams) =>
        listStreams.GetProperty("StreamInfoList").EnumerateArray().Select(s => s.GetProperty("StreamName").GetString()!).ToList();
}
