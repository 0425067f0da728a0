// What every fuzz target checks besides "no trap": a refusal is one line that names the
// input, as the CLI promises users. A failed check traps, so libFuzzer keeps the input.
import CFuzzDriver
import Glibc
import Doodle
import Net

/// Runs libFuzzer with the program's arguments on `check`, which gets each input.
public func runFuzzer(_ check: @escaping @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, check))
}

/// The name the targets give their input; every refusal must mention it.
public let fuzzInputName = "fuzz-input"

/// Calls `body` with the input as bytes.
public func withInput(_ data: UnsafePointer<UInt8>?, _ size: Int, _ body: ([UInt8]) throws -> Void) -> CInt {
    let bytes = size == 0 ? [] : [UInt8](UnsafeBufferPointer(start: data, count: size))
    do {
        try body(bytes)
    } catch let error as CustomStringConvertible {
        requireOneLine(error.description)
    } catch {
        fatalError("an error that cannot describe itself: \(type(of: error))")
    }
    return 0
}

/// A refusal must be one non-empty line naming the input.
public func requireOneLine(_ message: String) {
    require(!message.isEmpty, "empty message")
    require(!message.contains(where: \.isNewline), "message of several lines: \(message.debugDescription)")
    require(message.contains(fuzzInputName), "message does not name the file: \(message.debugDescription)")
}

public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

/// A decoded image holds exactly its pixels, all in `range` (a state file's optimiser image
/// may overshoot the pixel range a little: its reader allows -1...256).
public func check(_ image: Image, range: ClosedRange<Float> = 0...255) {
    require(image.width > 0 && image.height > 0, "empty image \(image.width)x\(image.height)")
    require([1, 3].contains(image.channels), "\(image.channels) channels")
    require(image.pixels.count == image.width * image.height * image.channels, "pixel count")
    require(image.pixels.allSatisfy { range.contains($0) }, "a sample outside \(range)")
}

/// Every tensor of a checkpoint holds exactly the elements its shape says.
public func check(_ checkpoint: Checkpoint) {
    for (name, tensor) in checkpoint.tensors {
        require(tensor.shape.allSatisfy { $0 >= 0 }, "negative dimension in \(name)")
        require(tensor.shape.reduce(1, *) == tensor.data.count, "\(name): shape \(tensor.shape), \(tensor.data.count) elements")
    }
}

/// Reads the input as `format` and, separately, with detection (as `doodle` reads a file).
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int, as format: Checkpoint.Format) -> CInt {
    withInput(data, size) { bytes in
        for given in [format, nil] {
            do {
                try bytes.withUnsafeBytes { check(try Checkpoint.decode($0, path: fuzzInputName, format: given)) }
            } catch let error as CheckpointError {
                requireOneLine(error.description)
            }
        }
    }
}
