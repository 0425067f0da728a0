import Foundation
import Net

/// Where a stopped synthesis can go on from: its phase (in the plan), the evaluations that
/// phase has had, the optimisation's image at the phase's size (before any recolouring), and
/// each patch loss's matches (the nearest style patch of each target patch), from which the
/// search goes on as it would have.
public struct ResumePoint: Sendable {
    public let phase: Int
    public let phases: Int
    public let iteration: Int
    public let image: Image
    /// One list per style layer of the patch loss, in the order of the style layers (empty
    /// for the Gram loss).
    public let matches: [[Int32]]

    public init(phase: Int, phases: Int, iteration: Int, image: Image, matches: [[Int32]] = []) {
        self.phase = phase
        self.phases = phases
        self.iteration = iteration
        self.image = image
        self.matches = matches
    }
}

/// `OUT.png.doodle-state`: what an interrupted render leaves beside its output so that the same
/// command with `--resume` (or `doodle run`) goes on from there. The optimiser's history is not
/// kept: the resumed phase starts it afresh from the saved image and matches.
///
/// Format: the line `doodle-state 1`, one line of JSON (the job's fingerprint, phase, phases,
/// iteration, width, height, the number of matches per layer), then width x height x 3
/// little-endian float32 samples, planar RGB, then the matches as little-endian int32.
public struct ResumeState: Sendable {
    /// `ResolvedJob.fingerprint()` of the render that wrote it: inputs, size and settings.
    public let fingerprint: String
    public let point: ResumePoint

    public init(fingerprint: String, point: ResumePoint) {
        self.fingerprint = fingerprint
        self.point = point
    }

    public static func path(for output: String) -> String { output + ".doodle-state" }

    static let magic = "doodle-state 1\n"
    /// Larger than any phase doodle renders (`output-size` is at most 8192 each way).
    static let maximumSide = 8192
    /// VGG19's convolutions: no more style layers than that.
    static let maximumLayers = 16

    private struct Header: Codable {
        var fingerprint: String
        var phase, phases, iteration, width, height: Int
        var matches: [Int]
    }

    /// One line on failure, naming the file.
    public struct ReadError: Error, CustomStringConvertible, Sendable {
        public let description: String
        init(description: String) { self.description = description.oneLine }
    }

    public func encoded() throws -> Data {
        let image = point.image
        let header = Header(fingerprint: fingerprint, phase: point.phase, phases: point.phases, iteration: point.iteration,
                            width: image.width, height: image.height, matches: point.matches.map(\.count))
        var data = Data(Self.magic.utf8)
        data += try JSONEncoder().encode(header)
        data.append(0x0A)
        let samples = image.rgb().pixels
        samples.withUnsafeBufferPointer { buffer in
            for value in buffer {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
        }
        for layer in point.matches {
            for index in layer { withUnsafeBytes(of: index.littleEndian) { data.append(contentsOf: $0) } }
        }
        return data
    }

    /// Writes the file whole (a temporary file renamed into place).
    public func write(for output: String) throws {
        try encoded().write(to: URL(fileURLWithPath: Self.path(for: output)), options: .atomic)
    }

    /// The state beside `output`, nil when there is none; `ReadError` when the file is not one.
    public static func read(for output: String) throws -> ResumeState? {
        let path = path(for: output)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReadError(description: "'\(path)' cannot be read (permissions?)")
        }
        return try decode(data, name: path)
    }

    /// Checks everything: the magic line, the header's values and the exact sample count, and
    /// that every sample is a finite value in the pixel range.
    public static func decode(_ data: Data, name: String) throws -> ResumeState {
        func bad(_ why: String) -> ReadError {
            ReadError(description: "'\(name)' is not a doodle state file (\(why)); remove it and render again")
        }
        let bytes = [UInt8](data)
        let magic = Array(Self.magic.utf8)
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else { throw bad("no doodle-state line") }
        guard let newline = bytes[magic.count...].firstIndex(of: 0x0A), newline - magic.count <= 4096 else {
            throw bad("no header")
        }
        guard let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[magic.count..<newline])) else {
            throw bad("unreadable header")
        }
        guard (1...6).contains(header.phases), (0..<header.phases).contains(header.phase), header.iteration >= 0,
              (1...maximumSide).contains(header.width), (1...maximumSide).contains(header.height),
              header.fingerprint.count == 64, header.fingerprint.allSatisfy(\.isHexDigit) else {
            throw bad("impossible header values")
        }
        let count = 3 * header.width * header.height
        // A layer has at most one match per pixel of the image; a few layers at most.
        guard header.matches.count <= maximumLayers, header.matches.allSatisfy({ (0...header.width * header.height).contains($0) }) else {
            throw bad("impossible match counts")
        }
        let matchCount = header.matches.reduce(0, +)
        let start = newline + 1
        guard bytes.count - start == 4 * (count + matchCount) else {
            throw bad("\(bytes.count - start) bytes of image and matches where \(4 * (count + matchCount)) belong")
        }
        func word(_ i: Int) -> UInt32 {
            let o = start + 4 * i
            return UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
        }
        var samples = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let value = Float(bitPattern: word(i))
            guard value.isFinite, value >= -1, value <= 256 else { throw bad("a sample out of range") }
            samples[i] = value
        }
        var matches: [[Int32]] = []
        var next = count
        for layerCount in header.matches {
            let layer = (0..<layerCount).map { Int32(bitPattern: word(next + $0)) }
            guard layer.allSatisfy({ $0 >= 0 }) else { throw bad("a negative match") }
            matches.append(layer)
            next += layerCount
        }
        let image = Image(width: header.width, height: header.height, channels: 3, pixels: samples)
        return ResumeState(fingerprint: header.fingerprint,
                           point: ResumePoint(phase: header.phase, phases: header.phases, iteration: header.iteration,
                                              image: image, matches: matches))
    }
}
