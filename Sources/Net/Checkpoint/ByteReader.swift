/// A bounds-checked little-endian cursor over a window `[position, end)` of a byte buffer.
/// Every read checks the remaining length first and throws a `FormatError` describing the
/// truncation instead of trapping. Offsets in messages are absolute offsets in the buffer.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let end: Int
    var position: Int
    /// What `end` is the end of, for messages: "file", "'archive/data.pkl'".
    let what: String

    init(_ bytes: UnsafeRawBufferPointer, from start: Int = 0, to end: Int? = nil, what: String = "file") throws {
        let end = end ?? bytes.count
        guard start >= 0, end >= start, end <= bytes.count else {
            throw FormatError("truncated: range \(start)..<\(end) lies outside the file (\(bytes.count) bytes)")
        }
        self.bytes = bytes
        self.position = start
        self.end = end
        self.what = what
    }

    var remaining: Int { end - position }
    var atEnd: Bool { position >= end }

    /// Throws unless `n` more bytes are available.
    func need(_ n: Int, _ context: @autoclosure () -> String) throws {
        if n < 0 || n > end - position {
            throw FormatError("truncated: \(context()) needs \(n) bytes at offset \(position), \(what) ends at \(end)")
        }
    }

    mutating func skip(_ n: Int, _ context: @autoclosure () -> String) throws {
        try need(n, context())
        position += n
    }

    /// Returns the absolute range of the next `n` bytes and advances past them.
    mutating func take(_ n: Int, _ context: @autoclosure () -> String) throws -> Range<Int> {
        try need(n, context())
        let r = position ..< position + n
        position += n
        return r
    }

    mutating func u8(_ context: @autoclosure () -> String) throws -> UInt8 {
        try need(1, context())
        let v = bytes[position]
        position += 1
        return v
    }

    mutating func u16(_ context: @autoclosure () -> String) throws -> UInt16 {
        try need(2, context())
        let v = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt16.self))
        position += 2
        return v
    }

    mutating func u32(_ context: @autoclosure () -> String) throws -> UInt32 {
        try need(4, context())
        let v = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
        position += 4
        return v
    }

    mutating func u64(_ context: @autoclosure () -> String) throws -> UInt64 {
        try need(8, context())
        let v = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
        position += 8
        return v
    }

    mutating func i32(_ context: @autoclosure () -> String) throws -> Int32 {
        Int32(bitPattern: try u32(context()))
    }

    mutating func i64(_ context: @autoclosure () -> String) throws -> Int64 {
        Int64(bitPattern: try u64(context()))
    }

    /// An 8-byte big-endian IEEE double (pickle BINFLOAT).
    mutating func f64BigEndian(_ context: @autoclosure () -> String) throws -> Double {
        try need(8, context())
        let raw = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
        position += 8
        return Double(bitPattern: raw)
    }

    mutating func byteArray(_ n: Int, _ context: @autoclosure () -> String) throws -> [UInt8] {
        let r = try take(n, context())
        return Array(bytes[r])
    }

    /// `n` bytes decoded as UTF-8 (invalid sequences become U+FFFD).
    mutating func utf8(_ n: Int, _ context: @autoclosure () -> String) throws -> String {
        let r = try take(n, context())
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }

    /// Bytes up to (not including) the next "\n", which is consumed.
    mutating func line(_ context: @autoclosure () -> String) throws -> String {
        var i = position
        while i < end {
            if bytes[i] == 0x0A {
                let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position ..< i]), as: UTF8.self)
                position = i + 1
                return s
            }
            i += 1
        }
        throw FormatError("truncated: \(context()) has no end of line after offset \(position), \(what) ends at \(end)")
    }
}
