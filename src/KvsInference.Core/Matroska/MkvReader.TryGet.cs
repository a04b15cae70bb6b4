using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace KvsInference.Matroska;

public ref partial struct MkvReader
{
    /// <summary>Gets the current value as an EBML unsigned integer (0 to 8 bytes, big-endian; empty is 0).</summary>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidOperationException">The current token is not a value.</exception>
    /// <exception cref="MkvFormatException">The value has more than 8 bytes.</exception>
    public readonly ulong GetUInt64()
    {
        if (!TryGetUInt64(out ulong value)) ThrowHelper.ThrowMkvFormatException_BadValueLength(_elementOffset, _elementId, _elementSize, "an unsigned integer of at most 8 bytes");
        return value;
    }

    /// <summary>Tries to get the current value as an EBML unsigned integer.</summary>
    /// <param name="value">The value, or 0.</param>
    /// <returns>False when the value has more than 8 bytes.</returns>
    /// <exception cref="InvalidOperationException">The current token is not a value.</exception>
    public readonly bool TryGetUInt64(out ulong value)
    {
        value = 0;
        ReadOnlySpan<byte> bytes = GetSmallValue(stackalloc byte[8], out bool fits);
        if (!fits) return false;
        foreach (byte b in bytes) value = (value << 8) | b;
        return true;
    }

    /// <summary>Gets the current value as an EBML signed integer (0 to 8 bytes, two's complement).</summary>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidOperationException">The current token is not a value.</exception>
    /// <exception cref="MkvFormatException">The value has more than 8 bytes.</exception>
    public readonly long GetInt64()
    {
        if (!TryGetInt64(out long value)) ThrowHelper.ThrowMkvFormatException_BadValueLength(_elementOffset, _elementId, _elementSize, "a signed integer of at most 8 bytes");
        return value;
    }

    /// <summary>Tries to get the current value as an EBML signed integer.</summary>
    /// <param name="value">The value, or 0.</param>
    /// <returns>False when the value has more than 8 bytes.</returns>
    /// <exception cref="InvalidOperationException">The current token is not a value.</exception>
    public readonly bool TryGetInt64(out long value)
    {
        value = 0;
        ReadOnlySpan<byte> bytes = GetSmallValue(stackalloc byte[8], out bool fits);
        if (!fits) return false;
        if (bytes.IsEmpty) return true;
        long result = (sbyte)bytes[0];
        for (int i = 1; i < bytes.Length; i++) result = (result << 8) | bytes[i];
        value = result;
        return true;
    }

    /// <summary>Gets the current value as an EBML float (0, 4 or 8 bytes, big-endian IEEE 754; empty is 0).</summary>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidOperationException">The current token is not a value.</exception>
    /// <exception cref="MkvFormatException">The value is not 0, 4 or 8 bytes long.</exception>
    public readonly double GetDouble()
    {
        if (!TryGetDouble(out double value)) ThrowHelper.ThrowMkvFormatException_BadValueLength(_elementOffset, _elementId, _elementSize, "a float of 0, 4 or 8 bytes");
        return value;
    }

    /// <summary>Tries to get the current value as an EBML float.</summary>
    /// <param name="value">The value, or 0.</param>
    /// <returns>False when the value is not 0, 4 or 8 bytes long.</returns>
    /// <exception cref="InvalidOperationException">The current token is not a value.</exception>
    public readonly bool TryGetDouble(out double value)
    {
        value = 0;
        ReadOnlySpan<byte> bytes = GetSmallValue(stackalloc byte[8], out bool fits);
        if (!fits) return false;
        switch (bytes.Length)
        {
            case 0: return true;
            case 4: value = BinaryPrimitives.ReadSingleBigEndian(bytes); return true;
            case 8: value = BinaryPrimitives.ReadDoubleBigEndian(bytes); return true;
            default: return false;
        }
    }

    /// <summary>Gets the current value as a string (UTF-8; trailing zero bytes, which EBML allows as padding, removed).</summary>
    /// <returns>A new string.</returns>
    /// <exception cref="InvalidOperationException">The current token is not a value.</exception>
    public readonly string GetString()
    {
        EnsureValue();
        if (!_hasValueSequence) return DecodeString(_valueSpan);
        byte[] copy = _valueSequence.ToArray();
        return DecodeString(copy);
    }

    /// <summary>Gets a copy of the current value's bytes.</summary>
    /// <returns>A new array.</returns>
    /// <exception cref="InvalidOperationException">The current token is not a value.</exception>
    public readonly byte[] GetBytes()
    {
        EnsureValue();
        return _hasValueSequence ? _valueSequence.ToArray() : _valueSpan.ToArray();
    }

    private static string DecodeString(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        if (end >= 0) bytes = bytes.Slice(0, end);
        return Encoding.UTF8.GetString(bytes);
    }

    private readonly void EnsureValue()
    {
        if (_tokenType != MkvTokenType.Value) ThrowHelper.ThrowInvalidOperationException_NotAValue(_tokenType);
    }

    private readonly ReadOnlySpan<byte> GetSmallValue(Span<byte> scratch, out bool fits)
    {
        EnsureValue();
        fits = _elementSize <= 8;
        if (!fits) return default;
        if (!_hasValueSequence) return _valueSpan;
        _valueSequence.CopyTo(scratch);
        return scratch.Slice(0, (int)_valueSequence.Length);
    }
}
