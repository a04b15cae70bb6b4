using KvsInference.Kvs;
using KvsInference.Matroska;

namespace KvsInference.Tests.Matroska;

public sealed class EbmlWriterTests
{
    [Theory]
    [InlineData(0L, 0, new byte[] { 0x80 })]
    [InlineData(126L, 0, new byte[] { 0xFE })]
    [InlineData(127L, 0, new byte[] { 0x40, 0x7F })]
    [InlineData(5L, 8, new byte[] { 0x01, 0, 0, 0, 0, 0, 0, 0x05 })]
    public void Size_Values_AreVariableSizeIntegers(long size, int length, byte[] expected) =>
        Assert.Equal(expected, EbmlWriter.Size(size, length));

    [Theory]
    [InlineData(-1L, 0)]
    [InlineData(EbmlWriter.MaxSize + 1, 0)]
    [InlineData(127L, 1)]
    [InlineData(1L, 9)]
    public void Size_DoesNotFit_ThrowsArgumentOutOfRange(long size, int length) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => EbmlWriter.Size(size, length));

    [Fact]
    public void IdAndUInt_SmallestLengths_AsTheSpecificationWritesThem()
    {
        Assert.Equal(new byte[] { 0x1F, 0x43, 0xB6, 0x75 }, EbmlWriter.Id(MkvElementIds.Cluster));
        Assert.Equal(new byte[] { 0xE7 }, EbmlWriter.Id(MkvElementIds.Timestamp));
        Assert.Equal(new byte[] { 0xE7, 0x82, 0x01, 0x00 }, EbmlWriter.UInt(MkvElementIds.Timestamp, 256));
    }

    [Fact]
    public void Tags_KvsFragmentTags_ReadBackByTheReader()
    {
        var tags = EbmlWriter.Tags((KvsFragmentTagNames.FragmentNumber, "91343852333181432392682062607743920146264185089"), (KvsFragmentTagNames.MillisBehindNow, "12"));

        byte[] file = [.. EbmlWriter.Master(MkvElementIds.Ebml, EbmlWriter.String(MkvElementIds.DocType, "webm")), .. EbmlWriter.Master(MkvElementIds.Segment, tags)];
        var reader = new MkvReader(file, isFinalBlock: true, new MkvReaderState(null));
        var read = new List<(uint, string)>();
        while (reader.Read())
        {
            if (reader.TokenType == MkvTokenType.Value && reader.ElementId is MkvElementIds.TagName or MkvElementIds.TagString) read.Add((reader.ElementId, reader.GetString()));
        }

        Assert.Equal(
        [
            (MkvElementIds.TagName, KvsFragmentTagNames.FragmentNumber), (MkvElementIds.TagString, "91343852333181432392682062607743920146264185089"),
            (MkvElementIds.TagName, KvsFragmentTagNames.MillisBehindNow), (MkvElementIds.TagString, "12"),
        ], read);
    }
}
