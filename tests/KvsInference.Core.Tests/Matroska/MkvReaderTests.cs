using KvsInference.Matroska;
using static KvsInference.TestSupport.Ebml;

namespace KvsInference.Tests.Matroska;

public class MkvReaderTests
{
    private static readonly byte[] File1 = Concat(Header(), MasterUnknownSize(0x18538067,
        Master(0x1549A966, UInt(0x2AD7B1, 1_000_000), Float(0x4489, 1234.5)),
        Binary(0xEC, new byte[3]),
        MasterUnknownSize(0x1F43B675, UInt(0xE7, 7), SimpleBlock(1, 0, Payload(1, 4)))));

    [Fact]
    public void Read_SmallFile_GivesTokensInOrder()
    {
        var reader = new MkvReader(File1, true, new MkvReaderState(null));
        var tokens = new List<string>();
        while (reader.Read()) tokens.Add($"{reader.TokenType} {reader.ElementId:X} {reader.CurrentDepth}");

        Assert.Equal(
        [
            "StartElement 1A45DFA3 0", "Value 4286 1", "Value 42F7 1", "Value 42F2 1", "Value 42F3 1", "Value 4282 1", "Value 4287 1", "Value 4285 1", "EndElement 1A45DFA3 0",
            "StartElement 18538067 0", "StartElement 1549A966 1", "Value 2AD7B1 2", "Value 4489 2", "EndElement 1549A966 1",
            "StartElement 1F43B675 1", "Value E7 2", "Value A3 2", "EndElement 1F43B675 1", "EndElement 18538067 0",
        ], tokens);
        Assert.Equal(File1.Length, reader.BytesConsumed);
    }

    [Fact]
    public void Read_IncompleteValue_ReturnsFalseWithCursorAtLastToken()
    {
        int cut = File1.Length - 2;   // inside the SimpleBlock
        var reader = new MkvReader(File1.AsSpan(0, cut), false, new MkvReaderState(null));
        long lastEnd = 0;
        while (reader.Read()) lastEnd = reader.BytesConsumed;

        Assert.Equal(MkvTokenType.None, reader.TokenType);
        Assert.Equal(lastEnd, reader.BytesConsumed);
        MkvReaderState state = reader.CurrentState;
        Assert.Equal(lastEnd, state.BytesConsumed);

        var rest = new MkvReader(File1.AsSpan((int)lastEnd), true, state);
        Assert.True(rest.Read());
        Assert.Equal(MkvElementIds.SimpleBlock, rest.ElementId);
        Assert.Equal(File1.Length - (2 + 4 + 4), rest.ElementOffset);
    }

    [Fact]
    public void GetDouble_FloatElement_ReadsIt()
    {
        var reader = new MkvReader(File1, true, new MkvReaderState(null));
        while (reader.Read() && reader.ElementId != MkvElementIds.Duration) { }

        Assert.Equal(1234.5, reader.GetDouble());
        Assert.Equal(8, reader.ElementSize);
    }

    [Fact]
    public void GetUInt64_OnStartElement_ThrowsInvalidOperation()
    {
        var reader = new MkvReader(File1, true, new MkvReaderState(null));
        reader.Read();
        Assert.Equal(MkvTokenType.StartElement, reader.TokenType);

        bool threw = false;
        try { reader.GetUInt64(); }
        catch (InvalidOperationException) { threw = true; }
        Assert.True(threw);
    }

    [Fact]
    public void Read_TopLevelIdInsideKnownSizeMaster_Throws()
    {
        byte[] data = Concat(Header(), Master(0x18538067, Header()));
        var reader = new MkvReader(data, true, new MkvReaderState(null));

        MkvFormatException? error = null;
        try { while (reader.Read()) { } }
        catch (MkvFormatException e) { error = e; }

        Assert.NotNull(error);
        Assert.Equal(Header().Length + 5, error.ElementOffset);
    }
}
