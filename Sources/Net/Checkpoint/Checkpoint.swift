#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Named float32 tensors read from a PyTorch checkpoint (legacy or zip serialization) or a
/// safetensors file. All formats are parsed in Swift; no Python or torch is involved.
///
///     let vgg = try Checkpoint.load(path: "vgg_normalised.pth")
///     let w = vgg["2.weight"]   // shape [64, 3, 3, 3]
public struct Checkpoint: Sendable {
    public enum Format: Sendable, Equatable {
        /// torch.save with `_use_new_zipfile_serialization=False` (a sequence of pickles).
        case torchLegacy
        /// torch.save's default zip archive (torch ≥ 1.6).
        case torchZip
        /// Hugging Face safetensors.
        case safetensors
    }

    public let path: String
    public let format: Format
    /// Tensors in file order (dict order for torch, data order for safetensors).
    public let tensors: [(name: String, tensor: Tensor)]
    private let index: [String: Int]

    public subscript(name: String) -> Tensor? {
        index[name].map { tensors[$0].tensor }
    }

    init(path: String, format: Format, tensors: [(name: String, tensor: Tensor)]) {
        self.path = path
        self.format = format
        self.tensors = tensors
        var index: [String: Int] = [:]
        for (i, t) in tensors.enumerated() where index[t.name] == nil { index[t.name] = i }
        self.index = index
    }

    /// Reads the whole file once and parses it; the format is detected from the content:
    /// a pickle holding the torch magic number (legacy torch), `PK\u{3}\u{4}` (torch zip), or an
    /// 8-byte little-endian header length followed by `{` (safetensors).
    /// Only float32 tensors (and float16, converted) are supported.
    /// - Throws: `CheckpointError`, whose description names the file and the problem.
    public static func load(path: String) throws -> Checkpoint {
        let bytes = try readFile(path)
        return try bytes.withUnsafeBytes { try decode($0, path: path) }
    }

    /// `load(path:)` on bytes already in memory; `path` names them in messages. With `format`,
    /// the bytes are read as that format without detection (the checkpoint fuzz targets).
    public static func decode(_ file: UnsafeRawBufferPointer, path: String, format given: Format? = nil) throws -> Checkpoint {
        do {
            let format = try given ?? detect(file)
            let tensors: [(name: String, tensor: Tensor)]
            switch format {
            case .torchLegacy: tensors = try LegacyTorchFormat.load(file)
            case .torchZip: tensors = try TorchZipFormat.load(file)
            case .safetensors: tensors = try SafetensorsFormat.load(file)
            }
            return Checkpoint(path: path, format: format, tensors: tensors)
        } catch let error as FormatError {
            throw CheckpointError(path: path, reason: error.reason)
        }
    }

    static func detect(_ file: UnsafeRawBufferPointer) throws -> Format {
        if file.isEmpty { throw FormatError("empty file") }
        if file.count >= 4, file[0] == 0x50, file[1] == 0x4B, file[2] == 0x03, file[3] == 0x04 {
            return .torchZip
        }
        if file.count >= 9, file[8] == UInt8(ascii: "{") {
            return .safetensors
        }
        if file[0] == 0x80 {
            if LegacyTorchFormat.hasMagic(file) { return .torchLegacy }
            throw FormatError("not a checkpoint: pickle does not start with the torch magic number 0x1950a86a20f9469cfc6c")
        }
        if file.count >= 4, file[0] == 0x50, file[1] == 0x4B, file[2] == 0x05, file[3] == 0x06 {
            throw FormatError("not a checkpoint: empty zip archive")
        }
        throw FormatError("not a checkpoint (neither torch nor safetensors)")
    }

    /// The whole file in one read.
    private static func readFile(_ path: String) throws -> [UInt8] {
        func fail(_ reason: String) -> CheckpointError { CheckpointError(path: path, reason: reason) }
        func describe(_ code: Int32) -> String {
            switch code {
            case ENOENT: return "no such file"
            case EACCES: return "permission denied"
            case EISDIR: return "is a directory"
            case ENOTDIR: return "no such file (a parent is not a directory)"
            default: return "cannot read: " + String(cString: strerror(code))
            }
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw fail(describe(errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fail(describe(errno)) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw fail("is a directory") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw fail("not a regular file") }
        let size = Int(info.st_size)
        var readError: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var done = 0
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    readError = errno
                    break
                }
                if n == 0 { break }  // the file shrank while reading
                done += n
            }
            initialized = done
        }
        if readError != 0 { throw fail(describe(readError)) }
        return bytes
    }
}
