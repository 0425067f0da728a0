/// safetensors: u64 LE header length N, N bytes of JSON
/// `{name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`,
/// then the data buffer; offsets are relative to the start of the buffer.
enum SafetensorsFormat {
    static let maxHeaderSize = 100_000_000

    static func load(_ file: UnsafeRawBufferPointer) throws -> [(name: String, tensor: Tensor)] {
        var reader = try ByteReader(file)
        let headerSize64 = try reader.u64("safetensors header length")
        guard headerSize64 <= UInt64(maxHeaderSize) else {
            throw FormatError("safetensors header length \(headerSize64) is too large")
        }
        let headerRange = try reader.take(Int(headerSize64), "safetensors header")
        let bufferStart = headerRange.upperBound
        let bufferSize = file.count - bufferStart

        var parser = JSONParser(bytes: UnsafeRawBufferPointer(rebasing: file[headerRange]))
        let header = try parser.parseDocument()
        guard case .object(let members) = header else {
            throw FormatError("safetensors header is not a JSON object")
        }

        struct Entry { let name: String; let type: ElementType; let shape: [Int]; let begin: Int; let end: Int }
        var entries: [Entry] = []
        var names = Set<String>()
        for (name, info) in members {
            guard names.insert(name).inserted else {
                throw FormatError("safetensors header lists \(quoted(name)) twice")
            }
            if name == "__metadata__" { continue }
            let what = "tensor \(quoted(name))"
            guard case .object(let fields) = info else {
                throw FormatError("safetensors header entry for \(what) is not an object")
            }
            func field(_ key: String) -> JSONValue? { fields.first { $0.0 == key }?.1 }
            guard case .string(let dtype)? = field("dtype") else {
                throw FormatError("\(what) has no dtype")
            }
            let type: ElementType
            switch dtype {
            case "F32": type = .float32
            case "F16": type = .float16
            default:
                let shown = String(quoted(dtype, limit: 20).dropFirst().dropLast())
                throw FormatError("\(what) has dtype \(shown); only F32 (and F16, converted) are supported")
            }
            guard case .array(let shapeValues)? = field("shape"), shapeValues.count <= TorchTensorRef.maxRank else {
                throw FormatError("\(what) has no valid shape")
            }
            let shape = try shapeValues.map { v -> Int in
                guard let i = v.nonNegativeInt else { throw FormatError("\(what) has a shape entry that is not a non-negative integer") }
                return i
            }
            guard case .array(let offsets)? = field("data_offsets"), offsets.count == 2,
                  let begin = offsets[0].nonNegativeInt, let end = offsets[1].nonNegativeInt, begin <= end else {
                throw FormatError("\(what) has no valid data_offsets [begin, end]")
            }
            let count = try elementCount(shape, what)
            let needed = try checkedMul(count, type.size, "\(what) byte size")
            guard end - begin == needed else {
                throw FormatError("\(what) of dtype \(dtype) and shape \(shape) needs \(needed) bytes, but data_offsets [\(begin), \(end)] span \(end - begin)")
            }
            guard end <= bufferSize else {
                throw FormatError("truncated: \(what) needs \(needed) bytes at offset \(bufferStart + begin), file ends at \(file.count)")
            }
            entries.append(Entry(name: name, type: type, shape: shape, begin: begin, end: end))
        }

        // File order: the order of the data in the buffer (ties keep header order).
        let ordered = entries.enumerated().sorted { ($0.element.begin, $0.offset) < ($1.element.begin, $1.offset) }.map(\.element)
        guard let base = file.baseAddress else { return [] }
        return try ordered.map { e in
            let count = (e.end - e.begin) / e.type.size
            let tensor = try gatherTensor(name: e.name, type: e.type, storage: base + bufferStart + e.begin,
                                          storageCount: count, offset: 0, size: e.shape,
                                          stride: contiguousStrides(e.shape))
            return (e.name, tensor)
        }
    }

    private static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in shape.indices.reversed() {
            strides[i] = s
            s = s &* max(shape[i], 1)
        }
        return strides
    }
}

/// JSON as needed for safetensors headers; objects keep their member order.
indirect enum JSONValue {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    /// The literal text of a number.
    case number(String)
    case bool(Bool)
    case null

    var nonNegativeInt: Int? {
        guard case .number(let text) = self, let v = UInt64(text), v <= UInt64(Int.max) else { return nil }
        return Int(v)
    }
}

/// A small JSON parser over bytes; nesting is limited to `maxDepth` levels.
struct JSONParser {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    static let maxDepth = 64

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private func fail(_ what: String) -> FormatError {
        FormatError("safetensors header is not valid JSON: \(what) at byte \(position) of the header")
    }

    mutating func parseDocument() throws -> JSONValue {
        let v = try parseValue(depth: 0)
        skipSpace()
        // The header may be padded with spaces (skipped above); anything else is an error.
        guard position == bytes.count else { throw fail("unexpected text after the top-level value") }
        return v
    }

    private mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func expect(_ literal: String) throws {
        for b in literal.utf8 {
            guard position < bytes.count, bytes[position] == b else { throw fail("bad literal") }
            position += 1
        }
    }

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth < JSONParser.maxDepth else { throw fail("nesting deeper than \(JSONParser.maxDepth)") }
        skipSpace()
        guard position < bytes.count else { throw fail("unexpected end") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            var members: [(String, JSONValue)] = []
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let key = try parseString()
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                position += 1
                members.append((key, try parseValue(depth: depth + 1)))
                skipSpace()
                guard position < bytes.count else { throw fail("unexpected end") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            position += 1
            var items: [JSONValue] = []
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
            while true {
                items.append(try parseValue(depth: depth + 1))
                skipSpace()
                guard position < bytes.count else { throw fail("unexpected end") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default:
            let start = position
            while position < bytes.count,
                  let c = Optional(bytes[position]),
                  (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                    || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                position += 1
            }
            guard position > start else { throw fail("unexpected character") }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start ..< position]), as: UTF8.self)
            guard Double(text) != nil else { throw fail("bad number") }
            return .number(text)
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - position >= 4 else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0 ..< 4 {
            let c = bytes[position]
            position += 1
            v <<= 4
            switch c {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): v |= UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): v |= UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): v |= UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("bad \\u escape")
            }
        }
        return v
    }

    private mutating func parseString() throws -> String {
        position += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard position < bytes.count else { throw fail("unterminated string") }
            let c = bytes[position]
            position += 1
            switch c {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { throw fail("unterminated string") }
                let e = bytes[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800 ..< 0xDC00).contains(scalar), bytes.count - position >= 6,
                       bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        let save = position
                        position += 2
                        let low = try hex4()
                        if (0xDC00 ..< 0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            position = save
                        }
                    }
                    let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(Character(s)).utf8))
                default: throw fail("bad escape")
                }
            default:
                guard c >= 0x20 else { throw fail("control character in string") }
                out.append(c)
            }
        }
    }
}
