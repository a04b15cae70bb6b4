using System.Net;
using System.Text.Json;

namespace KvsInference.Tests.Storage;

/// <summary>The KVS limits of the control plane: stream name length, retention range, tag sizes.</summary>
public class ControlPlaneLimitsTests
{
    [Fact]
    public async Task CreateStream_256CharacterNames_StoredApartServedAndReloadedAfterRestart()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        // Two names of the longest KVS length that share a long prefix: each needs its own directory.
        string first = new string('a', 255) + "1", second = new string('a', 255) + "2";
        await kit.CreateStreamAsync(first);
        await kit.CreateStreamAsync(second);
        var acks = await kit.PutMediaAsync(first, StoreMedia.UnknownSizeWebm(null, 0, 1000));
        Assert.Equal(2, acks.Count(a => a.GetProperty("EventType").GetString() == "PERSISTED"));

        await kit.RestartAsync();

        Assert.Equal(2, (await kit.GetMediaAsync(first, new { StartSelectorType = "EARLIEST" })).Count);
        Assert.Empty(await kit.GetMediaAsync(second, new { StartSelectorType = "EARLIEST" }));
        JsonElement listed = await kit.PostOkAsync("/listStreams", new { });
        Assert.Equal([first, second], listed.GetProperty("StreamInfoList").EnumerateArray().Select(s => s.GetProperty("StreamName").GetString()));
        Assert.All(Directory.EnumerateDirectories(Path.Combine(kit.Options.DataDirectory, "streams")), d => Assert.True(Path.GetFileName(d).Length < 255));
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(87_600)]
    public async Task UpdateDataRetention_IncreasePastTenYears_InvalidArgumentNamingTheMaximum(int change)
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        await kit.CreateStreamAsync("retained", retentionHours: 24);
        string version = (await kit.PostOkAsync("/describeStream", new { StreamName = "retained" })).GetProperty("StreamInfo").GetProperty("Version").GetString()!;

        var (status, errorType, body) = await kit.PostJsonAsync("/updateDataRetention", new
        {
            StreamName = "retained", CurrentVersion = version, Operation = "INCREASE_DATA_RETENTION", DataRetentionChangeInHours = change,
        });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("InvalidArgumentException", errorType);
        Assert.Contains("above 87600 hours", body.GetProperty("Message").GetString());
        JsonElement info = (await kit.PostOkAsync("/describeStream", new { StreamName = "retained" })).GetProperty("StreamInfo");
        Assert.Equal(24, info.GetProperty("DataRetentionInHours").GetInt32());
    }

    [Theory]
    [InlineData(128, 256, HttpStatusCode.OK)]
    [InlineData(129, 1, HttpStatusCode.BadRequest)]
    [InlineData(1, 257, HttpStatusCode.BadRequest)]
    [InlineData(1, 100_000, HttpStatusCode.BadRequest)]
    public async Task TagStreamAndCreateStream_TagKeyAndValueLengths_KvsLimitsOf128And256(int keyLength, int valueLength, HttpStatusCode expected)
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        await kit.CreateStreamAsync("tagged");
        var tags = new Dictionary<string, string> { [new string('k', keyLength)] = new string('v', valueLength) };

        var (tagStatus, tagError, tagBody) = await kit.PostJsonAsync("/tagStream", new { StreamName = "tagged", Tags = tags });
        var (createStatus, createError, _) = await kit.PostJsonAsync("/createStream", new { StreamName = "created-with-tags", DataRetentionInHours = 1, Tags = tags });

        Assert.Equal(expected, tagStatus);
        Assert.Equal(expected, createStatus);
        JsonElement listed = await kit.PostOkAsync("/listTagsForStream", new { StreamName = "tagged" });
        if (expected == HttpStatusCode.OK)
        {
            Assert.Equal(valueLength, listed.GetProperty("Tags").GetProperty(new string('k', keyLength)).GetString()!.Length);
            return;
        }
        Assert.Equal("InvalidArgumentException", tagError);
        Assert.Equal("InvalidArgumentException", createError);
        Assert.Matches(keyLength > 128 ? "tag key must have 1 to 128 characters" : "at most 256 are allowed", tagBody.GetProperty("Message").GetString());
        Assert.Empty(listed.GetProperty("Tags").EnumerateObject());
    }
}
