using System.Runtime.InteropServices;

namespace KvsInference.Audio.Aac;

/// <summary>Owns an AVCodecContext; freed with avcodec_free_context.</summary>
internal sealed unsafe class AvCodecContextHandle : SafeHandle
{
    public AvCodecContextHandle(nint context) : base(0, ownsHandle: true) => SetHandle(context);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        nint p = handle;
        LibAv.FreeContext(&p);
        return true;
    }
}

/// <summary>Owns an AVFrame; freed with av_frame_free.</summary>
internal sealed unsafe class AvFrameHandle : SafeHandle
{
    public AvFrameHandle(nint frame) : base(0, ownsHandle: true) => SetHandle(frame);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        nint p = handle;
        LibAv.FrameFree(&p);
        return true;
    }
}

/// <summary>Owns an AVPacket (and the data buffer it references); freed with av_packet_free.</summary>
internal sealed unsafe class AvPacketHandle : SafeHandle
{
    public AvPacketHandle(nint packet) : base(0, ownsHandle: true) => SetHandle(packet);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        nint p = handle;
        LibAv.PacketFree(&p);
        return true;
    }
}

/// <summary>Owns a SwrContext; freed with swr_free.</summary>
internal sealed unsafe class SwrContextHandle : SafeHandle
{
    public SwrContextHandle(nint swr) : base(0, ownsHandle: true) => SetHandle(swr);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        nint p = handle;
        LibAv.SwrFree(&p);
        return true;
    }
}
