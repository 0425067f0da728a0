/// A minimal read-only zip reader over an in-memory file: end of central directory
/// (with ZIP64 records), central directory, local headers. It only locates entries;
/// it does not decompress (torch writes its archives uncompressed).
struct ZipArchive {
    struct Entry {
        let name: String
        let flags: UInt16
        let method: UInt16
        let crc32: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
    }

    let entries: [Entry]
    private let byName: [String: Int]
    private let file: UnsafeRawBufferPointer

    static let localHeaderSignature: UInt32 = 0x0403_4B50
    static let centralHeaderSignature: UInt32 = 0x0201_4B50
    static let endSignature: UInt32 = 0x0605_4B50
    static let zip64EndSignature: UInt32 = 0x0606_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50

    init(_ file: UnsafeRawBufferPointer) throws {
        self.file = file
        let size = file.count

        // End of central directory: 22 bytes + comment (< 64 KiB), searched from the end.
        guard size >= 22 else { throw FormatError("truncated: zip archive of \(size) bytes has no end of central directory") }
        var eocd = -1
        var p = size - 22
        let lowest = max(0, size - 22 - 0xFFFF)
        while p >= lowest {
            if file[p] == 0x50, file[p + 1] == 0x4B, file[p + 2] == 0x05, file[p + 3] == 0x06 {
                eocd = p
                break
            }
            p -= 1
        }
        guard eocd >= 0 else {
            throw FormatError("truncated: zip archive has no end of central directory record (file ends at \(size))")
        }
        var r = try ByteReader(file, from: eocd + 4)
        let disk = try r.u16("zip end record")
        let cdDisk = try r.u16("zip end record")
        _ = try r.u16("zip end record")
        var count = Int(try r.u16("zip end record"))
        var cdSize = Int(try r.u32("zip end record"))
        var cdOffset = Int(try r.u32("zip end record"))
        var multiDisk = disk != 0 || cdDisk != 0

        // ZIP64: a locator right before the end record points at the ZIP64 end record.
        if eocd >= 20 {
            var l = try ByteReader(file, from: eocd - 20)
            if try l.u32("zip64 locator") == ZipArchive.zip64LocatorSignature {
                let locatorDisk = try l.u32("zip64 locator")
                let recordOffset = try checkedInt(try l.u64("zip64 locator"), "zip64 end record offset")
                let disks = try l.u32("zip64 locator")
                multiDisk = multiDisk || locatorDisk != 0 || disks > 1
                var z = try ByteReader(file, from: min(recordOffset, size))
                guard try z.u32("zip64 end record") == ZipArchive.zip64EndSignature else {
                    throw FormatError("zip64 end record at offset \(recordOffset) has a bad signature")
                }
                try z.skip(8 + 2 + 2, "zip64 end record")
                let disk64 = try z.u32("zip64 end record")
                let cdDisk64 = try z.u32("zip64 end record")
                _ = try z.u64("zip64 end record")
                count = try checkedInt(try z.u64("zip64 end record"), "zip64 entry count")
                cdSize = try checkedInt(try z.u64("zip64 end record"), "zip64 central directory size")
                cdOffset = try checkedInt(try z.u64("zip64 end record"), "zip64 central directory offset")
                multiDisk = multiDisk || disk64 != 0 || cdDisk64 != 0
            }
        }
        guard !multiDisk else { throw FormatError("multi-disk zip archives are not supported") }
        guard cdOffset <= size, cdSize <= size - cdOffset else {
            throw FormatError("truncated: zip central directory needs \(cdSize) bytes at offset \(cdOffset), file ends at \(size)")
        }

        var c = try ByteReader(file, from: cdOffset, to: cdOffset + cdSize, what: "zip central directory")
        var entries: [Entry] = []
        for index in 0 ..< count {
            let what = "zip central directory entry \(index)"
            guard try c.u32(what) == ZipArchive.centralHeaderSignature else {
                throw FormatError("\(what) at offset \(c.position - 4) has a bad signature")
            }
            try c.skip(4, what)  // versions
            let flags = try c.u16(what)
            let method = try c.u16(what)
            try c.skip(4, what)  // time, date
            let crc = try c.u32(what)
            var compressed = UInt64(try c.u32(what))
            var uncompressed = UInt64(try c.u32(what))
            let nameLength = Int(try c.u16(what))
            let extraLength = Int(try c.u16(what))
            let commentLength = Int(try c.u16(what))
            try c.skip(2 + 2 + 4, what)  // disk, internal and external attributes
            var localOffset = UInt64(try c.u32(what))
            let name = try c.utf8(nameLength, what + " name")
            let extraRange = try c.take(extraLength, what + " extra field")
            try c.skip(commentLength, what + " comment")

            // ZIP64 extended information: the 64-bit values of the fields set to 0xFFFFFFFF.
            var e = try ByteReader(file, from: extraRange.lowerBound, to: extraRange.upperBound, what: "\(what) extra field")
            while e.remaining >= 4 {
                let id = try e.u16("zip extra field")
                let length = Int(try e.u16("zip extra field"))
                let body = try e.take(length, "zip extra field")
                guard id == 0x0001 else { continue }
                var z = try ByteReader(file, from: body.lowerBound, to: body.upperBound, what: "zip64 extra field")
                if uncompressed == 0xFFFF_FFFF { uncompressed = try z.u64("zip64 extra field") }
                if compressed == 0xFFFF_FFFF { compressed = try z.u64("zip64 extra field") }
                if localOffset == 0xFFFF_FFFF { localOffset = try z.u64("zip64 extra field") }
            }
            entries.append(Entry(name: name, flags: flags, method: method, crc32: crc,
                                 compressedSize: try checkedInt(compressed, "zip entry size"),
                                 uncompressedSize: try checkedInt(uncompressed, "zip entry size"),
                                 localHeaderOffset: try checkedInt(localOffset, "zip entry offset")))
        }
        self.entries = entries
        var byName: [String: Int] = [:]
        for (i, e) in entries.enumerated() where byName[e.name] == nil { byName[e.name] = i }
        self.byName = byName
    }

    func entry(named name: String) -> Entry? {
        byName[name].map { entries[$0] }
    }

    /// The absolute byte range of a stored (uncompressed) entry's data.
    func dataRange(of entry: Entry) throws -> Range<Int> {
        let what = "zip entry \(quoted(entry.name))"
        guard entry.flags & 0x1 == 0 else { throw FormatError("\(what) is encrypted") }
        guard entry.method == 0 else {
            let method = entry.method == 8 ? "deflate" : "method \(entry.method)"
            throw FormatError("\(what) is compressed (\(method)); only stored (uncompressed) entries are supported")
        }
        guard entry.compressedSize == entry.uncompressedSize else {
            throw FormatError("\(what) is stored but its sizes differ (\(entry.compressedSize) vs \(entry.uncompressedSize))")
        }
        guard entry.localHeaderOffset <= file.count else {
            throw FormatError("truncated: \(what) has its local header at offset \(entry.localHeaderOffset), file ends at \(file.count)")
        }
        var r = try ByteReader(file, from: entry.localHeaderOffset)
        guard try r.u32("\(what) local header") == ZipArchive.localHeaderSignature else {
            throw FormatError("\(what) local header at offset \(entry.localHeaderOffset) has a bad signature")
        }
        try r.skip(22, "\(what) local header")
        let nameLength = Int(try r.u16("\(what) local header"))
        let extraLength = Int(try r.u16("\(what) local header"))
        try r.skip(nameLength + extraLength, "\(what) local header")
        return try r.take(entry.uncompressedSize, what)
    }

    /// CRC-32 (IEEE) of a byte range, for checking small entries.
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc = crcTable[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static let crcTable: [UInt32] = (0 ..< 256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0 ..< 8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
}
