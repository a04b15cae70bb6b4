using System.Buffers;

namespace KvsInference.Matroska;

public ref partial struct MkvReader
{
    /// <summary>
    /// Copies up to <c>scratch.Length</c> bytes at <paramref name="position"/> into <paramref name="scratch"/>
    /// (bytes that cross a segment boundary); fewer only at the end of the data. Returns the count.
    /// </summary>
    private int CopyBytesMultiSegment(long position, scoped Span<byte> scratch)
    {
        MoveWindowTo(position);
        int available = (int)Math.Min(scratch.Length, _length - position);
        long windowOffset = position - _windowStart;
        if (windowOffset + available <= _window.Length)
        {
            _window.Slice((int)windowOffset, available).CopyTo(scratch);
        }
        else
        {
            _sequence.Slice(_sequence.GetPosition(windowOffset, _windowPosition), available).CopyTo(scratch);
        }
        return available;
    }

    private void SetValueMultiSegment(long dataPosition, int size)
    {
        MoveWindowTo(dataPosition);
        long windowOffset = dataPosition - _windowStart;
        if (windowOffset + size <= _window.Length)
        {
            _valueSpan = _window.Slice((int)windowOffset, size);
            return;
        }
        _valueSequence = _sequence.Slice(_sequence.GetPosition(windowOffset, _windowPosition), size);
        _hasValueSequence = true;
    }

    /// <summary>Moves the window forward to the segment that holds <paramref name="position"/> (or back to the start).</summary>
    private void MoveWindowTo(long position)
    {
        if (position < _windowStart)
        {
            // Only a rolled-back read goes backwards; restart from the first segment.
            _windowStart = 0;
            _window = default;
            _windowPosition = _sequence.Start;
            _nextSegment = _sequence.Start;
            MoveToNextNonEmptySegment();
        }
        while (position >= _windowStart + _window.Length && position < _length)
        {
            _windowStart += _window.Length;
            MoveToNextNonEmptySegment();
        }
    }

    private void MoveToNextNonEmptySegment()
    {
        SequencePosition current = _nextSegment;
        while (_sequence.TryGet(ref _nextSegment, out ReadOnlyMemory<byte> memory))
        {
            if (!memory.IsEmpty)
            {
                _window = memory.Span;
                _windowPosition = current;
                return;
            }
            current = _nextSegment;
        }
        _window = default;
        _windowPosition = current;
    }
}
