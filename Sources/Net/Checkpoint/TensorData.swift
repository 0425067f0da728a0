import Foundation

/// Element types the readers can turn into float32.
enum ElementType {
    case float32
    case float16

    var size: Int { self == .float32 ? 4 : 2 }
}

/// IEEE half → single, exact for every value (subnormals, infinities, NaN payloads).
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        if mantissa == 0 { return Float(bitPattern: sign) }
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 31 {
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}

/// Copies `count` little-endian elements starting at `source` into `destination` as float32.
/// float32 is a single bulk copy on little-endian hosts.
@inline(__always)
func copyElements(_ type: ElementType, from source: UnsafeRawPointer, count: Int,
                  to destination: UnsafeMutablePointer<Float>) {
    guard count > 0 else { return }
    switch type {
    case .float32:
        #if _endian(little)
        memcpy(destination, source, count * 4)
        #else
        for i in 0 ..< count {
            destination[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }
        #endif
    case .float16:
        for i in 0 ..< count {
            destination[i] = halfToFloat(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
    }
}

/// Product of `shape`, multiplied left to right like `Tensor.init` does, overflow-checked.
func elementCount(_ shape: [Int], _ what: @autoclosure () -> String) throws -> Int {
    var n = 1
    for d in shape {
        guard d >= 0 else { throw FormatError("\(what()) has a negative dimension in shape \(shape)") }
        let (r, o) = n.multipliedReportingOverflow(by: d)
        if o { throw FormatError("\(what()) shape \(shape) has too many elements") }
        n = r
    }
    return n
}

/// Builds a contiguous row-major tensor from a strided view of a storage.
///
/// `storage` points at element 0 of the storage, which holds `storageCount` elements.
/// The caller guarantees those bytes are readable; this function checks that every
/// element the view reaches (offset + Σ (size_i - 1) · stride_i) lies inside the storage.
func gatherTensor(name: String, type: ElementType, storage: UnsafeRawPointer, storageCount: Int,
                  offset: Int, size: [Int], stride: [Int]) throws -> Tensor {
    let what = "tensor \(quoted(name))"
    guard size.count == stride.count else {
        throw FormatError("\(what) has \(size.count) sizes but \(stride.count) strides")
    }
    let n = try elementCount(size, what)
    guard offset >= 0 else { throw FormatError("\(what) has negative storage offset \(offset)") }
    if n == 0 { return Tensor(shape: size, data: []) }

    var last = offset
    for (s, st) in zip(size, stride) {
        guard st >= 0 else { throw FormatError("\(what) has negative stride in \(stride)") }
        let step = try checkedMul(s - 1, st, "\(what) stride \(stride)")
        last = try checkedAdd(last, step, "\(what) stride \(stride)")
    }
    guard last < storageCount else {
        throw FormatError("\(what) of size \(size), stride \(stride), offset \(offset) reaches element \(last), but its storage holds \(storageCount) elements")
    }
    // Zero strides can make a small storage look huge; refuse absurd expansions.
    if n > storageCount, n > 1 << 26 {
        throw FormatError("\(what) of size \(size) expands a storage of \(storageCount) elements to \(n)")
    }

    let elementSize = type.size
    var contiguous = true
    var expected = 1
    for i in stride.indices.reversed() where size[i] != 1 {
        if stride[i] != expected { contiguous = false; break }
        expected *= size[i]
    }

    let data = [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
        let out = buffer.baseAddress!
        if contiguous {
            copyElements(type, from: storage + offset * elementSize, count: n, to: out)
        } else {
            // Walk all but the last dimension with an odometer; copy rows of the last one.
            let rank = size.count
            let inner = size[rank - 1]
            let innerStride = stride[rank - 1]
            let rows = n / inner
            var counter = [Int](repeating: 0, count: rank)
            var source = offset
            var written = 0
            for _ in 0 ..< rows {
                if innerStride == 1 {
                    copyElements(type, from: storage + source * elementSize, count: inner, to: out + written)
                } else {
                    for j in 0 ..< inner {
                        copyElements(type, from: storage + (source + j * innerStride) * elementSize, count: 1, to: out + written + j)
                    }
                }
                written += inner
                var k = rank - 2
                while k >= 0 {
                    counter[k] += 1
                    source += stride[k]
                    if counter[k] < size[k] { break }
                    source -= stride[k] * size[k]
                    counter[k] = 0
                    k -= 1
                }
            }
        }
        initialized = n
    }
    return Tensor(shape: size, data: data)
}
