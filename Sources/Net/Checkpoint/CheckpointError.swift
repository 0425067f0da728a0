/// Why a checkpoint could not be loaded.
///
/// `description` is a single line naming the file and the problem, e.g.
/// `'x.pth': truncated: storage 3 needs 4718592 bytes at offset 123, file ends at 80000`.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    /// The path as given to `Checkpoint.load(path:)`.
    public let path: String
    /// What is wrong, without the file name (one line).
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        "\(quoted(path, limit: 400)): \(reason.oneLine)"
    }
}

/// Internal error thrown by the format readers; `Checkpoint.load` adds the file name.
struct FormatError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// `text` in single quotes, with control characters escaped (`String.oneLine`) and long text
/// shortened, so that names read from a (possibly corrupt) file can go into a one-line message.
func quoted(_ text: String, limit: Int = 80) -> String {
    let scalars = text.unicodeScalars
    var kept = String.UnicodeScalarView()
    for scalar in scalars.prefix(limit) {
        if scalar == "'" || scalar == "\\" { kept.append("\\") }
        kept.append(scalar)
    }
    return "'" + String(kept).oneLine + (scalars.count > limit ? "..." : "") + "'"
}

/// Overflow-checked arithmetic for sizes read from files.
func checkedMul(_ a: Int, _ b: Int, _ what: @autoclosure () -> String) throws -> Int {
    let (r, o) = a.multipliedReportingOverflow(by: b)
    if o { throw FormatError("\(what()) overflows") }
    return r
}

func checkedAdd(_ a: Int, _ b: Int, _ what: @autoclosure () -> String) throws -> Int {
    let (r, o) = a.addingReportingOverflow(b)
    if o { throw FormatError("\(what()) overflows") }
    return r
}

func checkedInt(_ v: UInt64, _ what: @autoclosure () -> String) throws -> Int {
    guard v <= UInt64(Int.max) else { throw FormatError("\(what()) \(v) is too large") }
    return Int(v)
}
