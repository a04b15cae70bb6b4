namespace KvsInference.Tests;

/// <summary>
/// The tests that render an avatar in Chromium in real time (the meeting pages, the 3D RTMP push) run one class at a
/// time: each is live, and two at once on a 2-core machine starve each other's page or worker. A 3D push that falls
/// more than the live audio queue (about 10 s) behind real time plays silence, by design, and then has no lip sync to
/// measure (seen in full-suite runs once the 3D meeting test ran beside it).
/// </summary>
[CollectionDefinition(Name)]
public sealed class RealTimeBrowserCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "real-time browser rendering";
}
