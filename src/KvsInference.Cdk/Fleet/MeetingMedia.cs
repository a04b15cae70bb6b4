using Amazon.CDK;
using Amazon.CDK.AWS.KinesisVideo;
using Constructs;
using KvsInference.Cdk.Configuration;

namespace KvsInference.Cdk.Fleet;

/// <summary>
/// A meeting's KVS signaling channel (the master page connects to it) and KVS stream (the workers consume it),
/// both named <see cref="FleetSettings.MeetingName"/>.
/// </summary>
/// <remarks>
/// WebRTC ingestion also needs the channel linked to the stream (UpdateMediaStorageConfiguration), which
/// CloudFormation has no resource for; docs/deploying.md gives the one CLI command.
/// </remarks>
public sealed class MeetingMedia : Construct
{
    /// <summary>Creates the channel and the stream.</summary>
    /// <param name="scope">The stack.</param>
    /// <param name="id">Construct id.</param>
    /// <param name="settings">Validated parameters with <see cref="FleetSettings.MeetingName"/> set.</param>
    /// <param name="removal">What happens to the stream (recorded media) when the stack is deleted.</param>
    public MeetingMedia(Construct scope, string id, FleetSettings settings, RemovalPolicy removal)
        : base(scope, id)
    {
        var name = settings.MeetingName ?? throw new ArgumentException("meetingName is not set.", nameof(settings));
        Channel = new CfnSignalingChannel(this, "Channel", new CfnSignalingChannelProps
        {
            Name = name,
            Type = "SINGLE_MASTER",
            MessageTtlSeconds = 60,
        });
        Stream = new CfnStream(this, "Stream", new CfnStreamProps
        {
            Name = name,
            DataRetentionInHours = settings.MeetingRetentionHours,
        });
        Stream.ApplyRemovalPolicy(removal);
    }

    /// <summary>Gets the signaling channel.</summary>
    /// <value>Set by the constructor.</value>
    public CfnSignalingChannel Channel { get; }

    /// <summary>Gets the KVS stream.</summary>
    /// <value>Set by the constructor.</value>
    public CfnStream Stream { get; }
}
