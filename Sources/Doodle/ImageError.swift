import Net

/// A failure to read or write an image file. `description` is one line that
/// names the file, says what is wrong and, where there is one, the fix.
public struct ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The file does not exist.
        case notFound
        /// The file exists but cannot be opened or read (permissions, a directory, I/O error).
        case unreadable
        /// Not a PNG or JPEG file, or a PNG/JPEG variant that is not decoded.
        case unsupportedFormat
        /// The data ends before the image does.
        case truncated
        /// The data is invalid (bad checksum, bad marker, bad compressed stream).
        case corrupt
        /// More pixels than the decoder accepts.
        case tooLarge
        /// Writing failed (missing directory, permissions, disk full...).
        case unwritable
        /// Writing would overwrite one of the inputs.
        case wouldOverwriteInput
        /// The image cannot be saved as it is (e.g. 2 channels).
        case invalidImage
    }

    public let kind: Kind
    /// The path as the caller gave it.
    public let path: String
    public let description: String

    public init(kind: Kind, path: String, description: String) {
        self.kind = kind
        self.path = path
        // One line, whatever the path or a library message contains.
        self.description = description.oneLine
    }
}
