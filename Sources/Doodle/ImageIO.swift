// Reading PNG/JPEG files into `Image` and writing `Image` as PNG, atomically.
// The codecs themselves live in the CImageCodecs C target (libpng and libjpeg
// longjmp on errors); this file does the file system work, format detection,
// alpha compositing and the conversion to planar floats.
import CImageCodecs

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Image {
    // MARK: Reading

    /// Reads a PNG or JPEG file; the format is detected from the first bytes,
    /// not the extension.
    ///
    /// Gray images (gray or gray+alpha PNG, grayscale JPEG) give `channels == 1`,
    /// everything else `channels == 3`. Alpha is composited over white. 16-bit PNG
    /// samples are scaled to 0...255 keeping their precision (257 levels per unit).
    public static func read(from path: String) throws -> Image {
        try decode(readWholeFile(path), path: path) { fromRaster($0) }
    }

    /// `read(from:)` on bytes already in memory; `path` names them in messages.
    /// The entry point of the image fuzz targets.
    public static func decode(bytes: [UInt8], path: String) throws -> Image {
        try decode(bytes, path: path) { fromRaster($0) }
    }

    /// A small copy of a PNG or JPEG for a preview, at most `maxSide` pixels a side (box
    /// averages of the file's samples), and the file's own size. The full image is never made
    /// in floats: an 8000x8000 PNG costs its 8-bit samples while decoding, then nothing.
    public static func readPreview(from path: String, maxSide: Int) throws -> (image: Image, width: Int, height: Int) {
        try decode(readWholeFile(path), path: path) { raster in
            (preview(raster, maxSide: maxSide), Int(raster.width), Int(raster.height))
        }
    }

    /// Decodes a file's bytes and hands the raster (freed afterwards) to `convert`.
    private static func decode<T>(_ bytes: [UInt8], path: String, _ convert: (ic_raster) -> T) throws -> T {
        if bytes.isEmpty {
            throw ImageError(kind: .unsupportedFormat, path: path,
                             description: "cannot read \(quoted(path)): the file is empty; give a PNG or JPEG file")
        }
        let codec: ImageCodec
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            codec = .png
        } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            codec = .jpeg
        } else {
            throw ImageError(kind: .unsupportedFormat, path: path,
                             description: "cannot read \(quoted(path)): not a PNG or JPEG file (\(describeMagic(bytes))); convert it to PNG")
        }

        var raster = ic_raster()
        var message = [CChar](repeating: 0, count: 512)
        let code: Int32 = bytes.withUnsafeBufferPointer { input in
            message.withUnsafeMutableBufferPointer { text in
                switch codec {
                case .png: return ic_decode_png(input.baseAddress, input.count, &raster, text.baseAddress, text.count)
                case .jpeg: return ic_decode_jpeg(input.baseAddress, input.count, &raster, text.baseAddress, text.count)
                }
            }
        }
        defer { ic_free(raster.data) }
        guard code == Int32(IC_OK) else {
            throw decodeError(code: code, message: cString(message), codec: codec, path: path)
        }
        guard raster.data != nil, raster.width > 0, raster.height > 0, (1...4).contains(raster.channels) else {
            throw decodeError(code: Int32(IC_ERR_CORRUPT), message: "empty image", codec: codec, path: path)
        }
        return convert(raster)
    }

    /// Box-averages the raster's samples down to at most `maxSide` a side, then converts.
    private static func preview(_ raster: ic_raster, maxSide: Int) -> Image {
        let width = Int(raster.width), height = Int(raster.height), stored = Int(raster.channels)
        let factor = max(1, (max(width, height) + maxSide - 1) / max(1, maxSide))
        guard factor > 1 else { return fromRaster(raster) }
        let w = max(1, width / factor), h = max(1, height / factor)
        var sums = [Double](repeating: 0, count: w * h * stored)
        func accumulate<T: BinaryInteger>(_ samples: UnsafePointer<T>) {
            for y in 0..<(h * factor) {
                let row = samples + y * width * stored
                let out = (y / factor) * w * stored
                for x in 0..<(w * factor) {
                    for c in 0..<stored { sums[out + (x / factor) * stored + c] += Double(row[x * stored + c]) }
                }
            }
        }
        let is16 = raster.bit_depth == 16
        if is16 { accumulate(UnsafePointer(raster.data!.assumingMemoryBound(to: UInt16.self))) }
        else { accumulate(UnsafePointer(raster.data!.assumingMemoryBound(to: UInt8.self))) }
        let count = Double(factor * factor)
        let averaged = sums.map { UInt16(($0 / count).rounded()) }
        return averaged.withUnsafeBufferPointer {
            planar($0.baseAddress!, width: w, height: h, stored: stored, maxValue: is16 ? 65535 : 255)
        }
    }

    /// Interleaved 8/16-bit samples (gray, gray+alpha, RGB, RGBA) to planar
    /// floats in 0...255, compositing any alpha over white.
    private static func fromRaster(_ raster: ic_raster) -> Image {
        let width = Int(raster.width), height = Int(raster.height)
        let stored = Int(raster.channels)
        if raster.bit_depth == 16 {
            let samples = UnsafePointer(raster.data!.assumingMemoryBound(to: UInt16.self))
            return planar(samples, width: width, height: height, stored: stored, maxValue: 65535)
        } else {
            let samples = UnsafePointer(raster.data!.assumingMemoryBound(to: UInt8.self))
            return planar(samples, width: width, height: height, stored: stored, maxValue: 255)
        }
    }

    private static func planar<T: BinaryInteger>(_ samples: UnsafePointer<T>, width: Int, height: Int,
                                                 stored: Int, maxValue: Double) -> Image {
        let color = stored >= 3 ? 3 : 1
        let hasAlpha = stored == 2 || stored == 4
        let plane = width * height
        let scale = 255.0 / maxValue
        var pixels = [Float](repeating: 0, count: color * plane)
        var transparent = 0
        pixels.withUnsafeMutableBufferPointer { out in
            for i in 0..<plane {
                let base = i * stored
                if hasAlpha {
                    let alpha = Double(samples[base + stored - 1]) / maxValue
                    if alpha < 1 { transparent += 1 }
                    let background = maxValue * (1 - alpha)
                    for c in 0..<color {
                        out[c * plane + i] = Float((Double(samples[base + c]) * alpha + background) * scale)
                    }
                } else {
                    for c in 0..<color {
                        out[c * plane + i] = Float(Double(samples[base + c]) * scale)
                    }
                }
            }
        }
        var image = Image(width: width, height: height, channels: color, pixels: pixels)
        image.transparentShare = Double(transparent) / Double(plane)
        return image
    }

    // MARK: Writing

    /// Writes an 8-bit PNG: gray when `channels == 1`, RGB when `channels == 3`;
    /// samples are clamped to 0...255 and rounded (NaN becomes 0).
    ///
    /// The write is atomic: the PNG goes to a temporary file in the destination's
    /// directory, is fsynced and renamed into place. On any failure the temporary
    /// file is removed and an existing file at `path` is left untouched.
    ///
    /// Throws `.wouldOverwriteInput` when `path` is the same file as one of
    /// `inputs` (same device and inode, or same standardized absolute path).
    public func writePNG(to path: String, protecting inputs: [String] = []) throws {
        let target = quoted(path)
        if path.isEmpty || path.hasSuffix("/") {
            throw ImageError(kind: .unwritable, path: path,
                             description: "cannot write \(target): not a file name; give a path like 'out.png'")
        }
        for input in inputs where sameFile(path, input) {
            throw ImageError(kind: .wouldOverwriteInput, path: path,
                             description: "refusing to write \(target): it is one of the inputs; choose another --output")
        }
        guard channels == 1 || channels == 3 else {
            throw ImageError(kind: .invalidImage, path: path,
                             description: "cannot write \(target): the image has \(channels) channels, but only 1 (gray) or 3 (RGB) can be saved as PNG")
        }
        guard pixels.count == width * height * channels else {
            throw ImageError(kind: .invalidImage, path: path,
                             description: "cannot write \(target): the image has \(pixels.count) samples instead of \(width)x\(height)x\(channels); this is a bug in the caller")
        }

        let (directory, existingMode) = try Self.destination(path)
        let png = try encodePNG(path: path)
        try writeAtomically(png, to: path, directory: directory, mode: existingMode)
    }

    /// Checks, before any work, that a PNG can be written at `path`: a file name, not too long,
    /// in an existing folder that accepts a new file (a temporary file is created there and
    /// removed). Throws `ImageError` (`.unwritable`) with one line naming the path and the fix.
    public static func checkWritable(_ path: String) throws {
        let target = quoted(path)
        if path.isEmpty || path.hasSuffix("/") {
            throw ImageError(kind: .unwritable, path: path,
                             description: "cannot write \(target): not a file name; give a path like 'out.png'")
        }
        let (directory, _) = try destination(path)
        let limit = pathconf(directory, Int32(_PC_NAME_MAX))
        if fileName(of: path).utf8.count > (limit > 0 ? limit : 255) {
            throw writeFailure(path, directory: directory, ENAMETOOLONG)
        }
        let probe = (directory == "/" ? "/" : directory + "/") + ".doodle-probe-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 { throw writeFailure(path, directory: directory, errno) }
        close(fd)
        unlink(probe)
    }

    /// The folder a PNG at `path` goes to, and the permissions of the file it replaces. The
    /// folder must exist; the path must not be a folder.
    private static func destination(_ path: String) throws -> (directory: String, existingMode: mode_t?) {
        let target = quoted(path)
        let directory = parentDirectory(of: path)
        var info = stat()
        if stat(directory, &info) != 0 {
            let code = errno
            throw ImageError(kind: .unwritable, path: path, description: code == ENOENT
                ? "cannot write \(target): directory \(quoted(directory)) does not exist"
                : "cannot write \(target): cannot access directory \(quoted(directory)) (\(errorText(code)))")
        }
        guard isDirectory(info) else {
            throw ImageError(kind: .unwritable, path: path,
                             description: "cannot write \(target): \(quoted(directory)) is not a directory")
        }
        var existingMode: mode_t? = nil
        if stat(path, &info) == 0 {
            if isDirectory(info) {
                throw ImageError(kind: .unwritable, path: path,
                                 description: "cannot write \(target): it is a directory; give a file name like 'out.png'")
            }
            existingMode = info.st_mode & 0o7777
        }
        return (directory, existingMode)
    }

    private func encodePNG(path: String) throws -> [UInt8] {
        // Clamp, round and interleave.
        let plane = width * height
        var samples = [UInt8](repeating: 0, count: plane * channels)
        pixels.withUnsafeBufferPointer { src in
            samples.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    for i in 0..<plane {
                        let v = src[c * plane + i]
                        dst[i * channels + c] = v.isNaN ? 0 : UInt8(min(max(v, 0), 255).rounded())
                    }
                }
            }
        }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 512)
        let code = message.withUnsafeMutableBufferPointer { text in
            ic_encode_png(samples, Int32(width), Int32(height), Int32(channels),
                          &output, &size, text.baseAddress, text.count)
        }
        defer { ic_free(output) }
        guard code == Int32(IC_OK), let output else {
            throw ImageError(kind: .invalidImage, path: path,
                             description: "cannot write \(quoted(path)): PNG encoding failed (libpng: \(cString(message)))")
        }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }
}

private enum ImageCodec {
    case png, jpeg
    var name: String { self == .png ? "PNG" : "JPEG" }
    var library: String { self == .png ? "libpng" : "libjpeg" }
}

private func decodeError(code: Int32, message: String, codec: ImageCodec, path: String) -> ImageError {
    let file = quoted(path)
    let detail = "(\(codec.library): \(message))"
    switch Int(code) {
    case Int(IC_ERR_TRUNCATED):
        return ImageError(kind: .truncated, path: path,
                          description: "cannot read \(file): truncated \(codec.name) data \(detail); the file is incomplete, copy or export it again")
    case Int(IC_ERR_UNSUPPORTED):
        return ImageError(kind: .unsupportedFormat, path: path,
                          description: "cannot read \(file): unsupported kind of \(codec.name) \(detail); convert it to an 8-bit RGB PNG")
    case Int(IC_ERR_TOO_LARGE):
        return ImageError(kind: .tooLarge, path: path,
                          description: "cannot read \(file): \(message); downscale it first")
    case Int(IC_ERR_NO_MEMORY):
        return ImageError(kind: .unreadable, path: path,
                          description: "cannot read \(file): out of memory while decoding \(codec.name); free some memory or use a smaller image")
    default:
        return ImageError(kind: .corrupt, path: path,
                          description: "cannot read \(file): corrupt \(codec.name) data \(detail); the file is damaged, export it again")
    }
}

// MARK: - File system helpers

/// `'path'` for messages.
private func quoted(_ path: String) -> String { "'\(path)'" }

private func errorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}

private func cString(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

private func isDirectory(_ info: stat) -> Bool { (info.st_mode & S_IFMT) == S_IFDIR }

/// Up to four leading bytes, printable ones as text, others as \xNN.
private func describeMagic(_ bytes: [UInt8]) -> String {
    var shown = ""
    for byte in bytes.prefix(4) {
        if byte >= 0x20 && byte < 0x7F && byte != 0x27 && byte != 0x5C {
            shown.append(Character(Unicode.Scalar(byte)))
        } else {
            let hex = String(byte, radix: 16, uppercase: true)
            shown += "\\x" + (hex.count < 2 ? "0" + hex : hex)
        }
    }
    return "starts with '\(shown)'"
}

private func readWholeFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
        let code = errno
        switch code {
        case ENOENT, ENOTDIR:
            throw ImageError(kind: .notFound, path: path, description: "\(quoted(path)): no such file")
        case EACCES, EPERM:
            throw ImageError(kind: .unreadable, path: path,
                             description: "cannot read \(quoted(path)): permission denied; check the file's permissions")
        default:
            throw ImageError(kind: .unreadable, path: path,
                             description: "cannot read \(quoted(path)): \(errorText(code))")
        }
    }
    defer { close(fd) }
    var info = stat()
    if fstat(fd, &info) == 0 && isDirectory(info) {
        throw ImageError(kind: .unreadable, path: path,
                         description: "cannot read \(quoted(path)): it is a directory; give an image file")
    }
    var bytes = [UInt8]()
    var capacity = info.st_size > 0 ? Int(info.st_size) + 1 : 1 << 16
    var count = 0
    while true {
        if count == bytes.count {
            bytes.append(contentsOf: repeatElement(0, count: max(capacity - bytes.count, 1 << 16)))
            capacity = bytes.count
        }
        let got = bytes.withUnsafeMutableBytes { buffer in
            read(fd, buffer.baseAddress! + count, buffer.count - count)
        }
        if got < 0 {
            let code = errno
            if code == EINTR { continue }
            throw ImageError(kind: .unreadable, path: path,
                             description: "cannot read \(quoted(path)): \(errorText(code))")
        }
        if got == 0 { break }
        count += got
    }
    bytes.removeSubrange(count...)
    return bytes
}

/// The directory part of `path` as it would be written: "dir/out.png" → "dir",
/// "out.png" → ".", "/out.png" → "/".
private func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    var directory = String(path[..<slash])
    while directory.hasSuffix("/") { directory.removeLast() }
    return directory.isEmpty ? "/" : directory
}

private func fileName(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}

/// Absolute path with ".", ".." and repeated slashes resolved lexically.
private func standardizedAbsolutePath(_ path: String) -> String {
    var full = path
    if !path.hasPrefix("/") {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        if getcwd(&buffer, buffer.count) != nil {
            full = cString(buffer) + "/" + path
        }
    }
    var parts: [Substring] = []
    for part in full.split(separator: "/", omittingEmptySubsequences: true) {
        if part == "." { continue }
        if part == ".." {
            if !parts.isEmpty { parts.removeLast() }
            continue
        }
        parts.append(part)
    }
    return "/" + parts.joined(separator: "/")
}

/// True when `a` and `b` name the same file: same device and inode when both
/// exist (so hard links and symlinks count), or the same standardized path.
private func sameFile(_ a: String, _ b: String) -> Bool {
    var infoA = stat(), infoB = stat()
    if stat(a, &infoA) == 0 && stat(b, &infoB) == 0 &&
        infoA.st_dev == infoB.st_dev && infoA.st_ino == infoB.st_ino {
        return true
    }
    return standardizedAbsolutePath(a) == standardizedAbsolutePath(b)
}

private func writeFailure(_ path: String, directory: String, _ code: Int32) -> ImageError {
    let reason: String
    switch code {
    case EACCES, EPERM: reason = "permission denied in directory \(quoted(directory)); choose a writable location"
    case ENOSPC, EDQUOT: reason = "no space left on the device; free some space or choose another location"
    case EROFS: reason = "the file system is read-only; choose another location"
    case EFBIG: reason = "file too large for this file system or process limit"
    case ENAMETOOLONG: reason = "the file name is too long; choose a shorter name"
    case ENOENT, EINVAL, ENOTSUP:
        reason = "directory \(quoted(directory)) does not accept new files; choose another location"
    default: reason = errorText(code)
    }
    return ImageError(kind: .unwritable, path: path, description: "cannot write \(quoted(path)): \(reason)")
}

/// Writes `bytes` to a new temporary file next to `path`, fsyncs it and
/// renames it over `path`. Any failure removes the temporary file.
private func writeAtomically(_ bytes: [UInt8], to path: String, directory: String, mode: mode_t?) throws {
    // A hidden sibling with a random suffix, created exclusively (so the umask applies).
    let prefix = String(fileName(of: path).prefix(200))
    var temporary = ""
    var fd: Int32 = -1
    for _ in 0..<16 {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        temporary = (directory == "/" ? "/" : directory + "/") + "." + prefix + ".tmp-" + suffix
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if fd >= 0 || errno != EEXIST { break }
    }
    if fd < 0 { throw writeFailure(path, directory: directory, errno) }

    var failure: Int32 = 0
    if let mode, fchmod(fd, mode) != 0 { failure = errno }
    var written = 0
    while failure == 0 && written < bytes.count {
        let count = bytes.withUnsafeBytes { buffer in
            write(fd, buffer.baseAddress! + written, buffer.count - written)
        }
        if count < 0 {
            if errno == EINTR { continue }
            failure = errno
        } else {
            written += count
        }
    }
    if failure == 0 && fsync(fd) != 0 { failure = errno }
    if close(fd) != 0 && failure == 0 { failure = errno }
    if failure == 0 && rename(temporary, path) != 0 { failure = errno }
    if failure != 0 {
        unlink(temporary)
        throw writeFailure(path, directory: directory, failure)
    }

    // Make the rename itself durable; failing here does not undo the write.
    let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directoryFD >= 0 {
        _ = fsync(directoryFD)
        close(directoryFD)
    }
}
