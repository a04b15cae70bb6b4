using System.Text;
using KvsInference.Inference;

namespace KvsInference.Tests.Inference;

public class InferenceJsonTests
{
    [Fact]
    public void Request_RoundTrip_KeepsEveryField()
    {
        short[] pcm = [0, 1, -1, short.MaxValue, short.MinValue, 1234];
        var json = InferenceJson.SerializeRequest([
            new InferenceInstance { Id = "w1", StreamKey = "stream/a+b", SampleRate = 16000, Pcm = pcm },
            new InferenceInstance { Id = "w2", SampleRate = 48000, Pcm = Array.Empty<short>() },
        ]);
        var text = Encoding.UTF8.GetString(json);
        Assert.Contains("\"pcm16\":\"AAABAP//", text); // little-endian int16, base64
        var back = InferenceJson.ReadRequest(json);
        Assert.Equal(2, back.Count);
        Assert.Equal("w1", back[0].Id);
        Assert.Equal("stream/a+b", back[0].StreamKey);
        Assert.Equal(pcm, back[0].Pcm.ToArray());
        Assert.Null(back[1].StreamKey);
        Assert.Equal(48000, back[1].SampleRate);
        Assert.Equal(0, back[1].Pcm.Length);
    }

    [Fact]
    public void ReadRequest_EscapedBase64AndUnknownFields_AreAccepted()
    {
        var json = "{\"extra\":{\"x\":[1,2]},\"instances\":[{\"pcm16\":\"AQA\\u002BAA==\",\"id\":\"a\",\"sampleRate\":16000,\"stream\":null,\"more\":true}]}";
        var back = InferenceJson.ReadRequest(Encoding.UTF8.GetBytes(json));
        Assert.Equal(new short[] { 1, 62 }, back[0].Pcm.ToArray()); // "AQA+AA==" with + escaped as \u002B
    }

    [Fact]
    public void Response_RoundTrip_KeepsFramesToFourDecimals()
    {
        var frames = new[] { new VisemeFrame(0.12345f, 0.2f, 0.3f, 0.1f, 0.05f, 0.75f, 0.22655f), new VisemeFrame(0, 0, 0, 0, 0, 0, 1) };
        var json = InferenceJson.SerializeResponse([new InferencePrediction { Id = "p", FrameRate = 60, Frames = frames, FirstFrame = 42 }]);
        var back = InferenceJson.ReadResponse(json);
        Assert.Equal("p", back[0].Id);
        Assert.Equal(60, back[0].FrameRate);
        Assert.Equal(42, back[0].FirstFrame);
        Assert.Equal(0.1235f, back[0].Frames[0].Aa, 1e-6f);
        Assert.Equal(0.75f, back[0].Frames[0].JawOpen, 1e-6f);
        Assert.Equal(frames[1], back[0].Frames[1]);
    }

    [Fact]
    public void Response_ConsonantVisemes_AreWrittenAndReadBack()
    {
        var frame = new VisemeFrame(0.1f, 0, 0, 0, 0, 0.2f, 0) { Pp = 0.5f, Ff = 0.01f, Th = 0.02f, Dd = 0.03f, Kk = 0.04f, Ch = 0.05f, Ss = 0.06f, Nn = 0.07f, Rr = 0.12f };
        var json = InferenceJson.SerializeResponse([new InferencePrediction { Id = "c", FrameRate = 60, Frames = [frame] }]);
        var text = Encoding.UTF8.GetString(json);
        foreach (var key in new[] { "pp", "ff", "th", "dd", "kk", "ch", "ss", "nn", "rr" }) Assert.Contains($"\"{key}\":", text);
        Assert.Equal(frame, InferenceJson.ReadResponse(json)[0].Frames[0]);
    }

    [Fact]
    public void ReadPrediction_SingleObject_Reads()
    {
        var json = "{\"id\":\"wav\",\"frameRate\":30,\"frames\":[{\"aa\":0,\"ih\":0,\"ou\":0,\"ee\":0,\"oh\":0,\"jawOpen\":0,\"silence\":1}]}";
        var p = InferenceJson.ReadPrediction(Encoding.UTF8.GetBytes(json));
        Assert.Equal(30, p.FrameRate);
        Assert.Equal(0, p.FirstFrame);
        // A producer of schema kvs-inference/1 writes no consonant keys: they read as 0.
        Assert.Equal(new VisemeFrame(0, 0, 0, 0, 0, 0, 1), Assert.Single(p.Frames));
    }

    [Theory]
    [InlineData("", "$")]
    [InlineData("[]", "$")]
    [InlineData("{}", "instances")]
    [InlineData("{\"instances\":{}}", "instances")]
    [InlineData("{\"instances\":[1]}", "instances[0]")]
    [InlineData("{\"instances\":[{\"sampleRate\":16000,\"pcm16\":\"\"}]}", "instances[0].id")]
    [InlineData("{\"instances\":[{\"id\":\"a\",\"pcm16\":\"\"}]}", "instances[0].sampleRate")]
    [InlineData("{\"instances\":[{\"id\":\"a\",\"sampleRate\":\"16000\",\"pcm16\":\"\"}]}", "instances[0].sampleRate")]
    [InlineData("{\"instances\":[{\"id\":\"a\",\"sampleRate\":-1,\"pcm16\":\"\"}]}", "instances[0].sampleRate")]
    [InlineData("{\"instances\":[{\"id\":\"a\",\"sampleRate\":16000,\"pcm16\":\"!!!!\"}]}", "instances[0].pcm16")]
    [InlineData("{\"instances\":[{\"id\":\"a\",\"sampleRate\":16000,\"pcm16\":\"AA==\"}]}", "instances[0].pcm16")]
    [InlineData("{\"instances\":[{\"id\":\"a\",\"sampleRate\":16000,\"pcm16\":5}]}", "instances[0].pcm16")]
    [InlineData("{\"instances\":[{\"id\":\"a\",\"stream\":1,\"sampleRate\":16000,\"pcm16\":\"\"}]}", "instances[0].stream")]
    [InlineData("{\"instances\":[{\"id\":\"a\",\"sampleRate\":16000,\"pcm16\":\"\"}", "$")]
    public void ReadRequest_BadInput_ThrowsNamingTheField(string json, string field)
    {
        var e = Assert.Throws<InferenceFormatException>(() => InferenceJson.ReadRequest(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(field, e.Field);
        Assert.StartsWith(field + ":", e.Message);
    }

    [Theory]
    [InlineData("{\"predictions\":[{\"id\":\"a\",\"frameRate\":60,\"frames\":[{\"aa\":0,\"ih\":0,\"ou\":0,\"ee\":0,\"oh\":0,\"jawOpen\":0}]}]}", "predictions[0].frames[0].silence")]
    [InlineData("{\"predictions\":[{\"id\":\"a\",\"frameRate\":60,\"frames\":[{\"aa\":2,\"ih\":0,\"ou\":0,\"ee\":0,\"oh\":0,\"jawOpen\":0,\"silence\":0}]}]}", "predictions[0].frames[0].aa")]
    [InlineData("{\"predictions\":[{\"id\":\"a\",\"frames\":[]}]}", "predictions[0].frameRate")]
    [InlineData("{\"predictions\":[{\"id\":\"a\",\"frameRate\":0,\"frames\":[]}]}", "predictions[0].frameRate")]
    public void ReadResponse_BadInput_ThrowsNamingTheField(string json, string field)
    {
        var e = Assert.Throws<InferenceFormatException>(() => InferenceJson.ReadResponse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(field, e.Field);
    }
}
