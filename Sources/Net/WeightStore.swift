import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Where the network weights live, and how they arrive.
///
/// The weights directory is `$DOODLE_HOME` if set, else `~/.cache/doodle`. Downloads are
/// verified against a SHA-256 before they are put in place, and are put in place by an
/// atomic rename, so the destination is always either absent, the previous file, or a
/// verified new one.
public struct WeightStore: Sendable {
    public static let defaultFileName = "vgg_normalised.pth"
    public static let pinnedSHA256 = "804ca2835ecf7539f0cd2a7ac3c18ce81e6f8468969ae7117ac0c148d286bb4a"

    /// The weights directory.
    public var home: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let custom = environment["DOODLE_HOME"], !custom.isEmpty {
            home = (custom as NSString).expandingTildeInPath
        } else {
            let userHome = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            home = userHome + "/.cache/doodle"
        }
    }

    /// `home/vgg_normalised.pth`.
    public var defaultWeightsPath: String { home + "/" + Self.defaultFileName }

    /// Makes sure `destination` holds the file at `url` whose SHA-256 is `sha256`, and
    /// returns its path.
    ///
    /// If `destination` already has that hash, nothing is downloaded. Otherwise `url`
    /// (`http://`, `https://` or `file://`) is copied to a temporary file beside
    /// `destination` (in `home` by default), hashed while it arrives, and renamed into place
    /// only if the hash matches and `validate` accepts it. On any failure the temporary file
    /// is removed and an existing file at `destination` is left as it was.
    ///
    /// - Parameters:
    ///   - destination: default `home/<last path component of url>`.
    ///   - validate: a further check of the file at the given path (e.g. that it loads as a
    ///     checkpoint), run after the hash matched and before the file is put in place; also
    ///     run on an already present file with the right hash. Its errors propagate unchanged.
    ///   - progress: called with (bytes so far, total if known) as data arrives; for http
    ///     URLs on a URLSession thread, while this call waits.
    /// - Throws: `WeightStoreError`, or what `validate` throws.
    @discardableResult
    public func fetch(url: URL, sha256: String, to destination: String? = nil,
                      validate: ((String) throws -> Void)? = nil,
                      progress: ((Int64, Int64?) -> Void)? = nil) throws -> String {
        let expected = sha256.lowercased()
        guard expected.count == 64, expected.allSatisfy({ $0.isHexDigit }) else {
            throw WeightStoreError(.invalidChecksum, subject: url.absoluteString,
                                   problem: "'\(sha256)' is not a SHA-256 (64 hex digits)",
                                   fix: "pass the file's full SHA-256 digest")
        }
        let target = try destination ?? defaultDestination(for: url)

        if FileManager.default.fileExists(atPath: target),
           (try? SHA256.hexDigest(ofFile: target)) == expected {
            try validate?(target)
            return target
        }

        let directory = (target as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory,
                                                    withIntermediateDirectories: true)
        } catch {
            throw WeightStoreError(.fileSystem, subject: directory,
                                   problem: "cannot create the directory (\(error.localizedDescription))",
                                   fix: "make it writable, or set DOODLE_HOME to a writable directory")
        }

        let name = (target as NSString).lastPathComponent
        let temporary = (directory.isEmpty ? "" : directory + "/") + ".\(name).\(UUID().uuidString).part"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw WeightStoreError(.fileSystem, subject: temporary, problem: "cannot create a temporary file",
                                   fix: "make \(directory) writable, or set DOODLE_HOME to a writable directory")
        }
        var handleOpen = true
        var keepTemporary = false
        defer {
            if handleOpen { try? handle.close() }
            if !keepTemporary { try? FileManager.default.removeItem(atPath: temporary) }
        }

        let sink = DownloadSink(handle: handle, path: temporary, progress: progress)
        switch url.scheme?.lowercased() {
        case "http", "https":
            try HTTPDownload(url: url, sink: sink, destination: target).run()
        case "file":
            try copyFile(url, sink: sink)
        default:
            throw WeightStoreError(.unsupportedURL, subject: url.absoluteString,
                                   problem: "unsupported URL scheme '\(url.scheme ?? "")'",
                                   fix: "use an http://, https:// or file:// URL")
        }

        do {
            try handle.synchronize()
            try handle.close()
            handleOpen = false
        } catch {
            throw WeightStoreError(.fileSystem, subject: temporary,
                                   problem: "cannot write the download (\(error.localizedDescription))",
                                   fix: "free some disk space in \(directory) and retry")
        }

        let actual = sink.hash.finalizeHex()
        guard actual == expected else {
            throw WeightStoreError(.checksumMismatch(expected: expected, actual: actual), subject: url.absoluteString,
                                   problem: "downloaded \(sink.received) bytes with SHA-256 \(actual), expected \(expected)",
                                   fix: "the download is damaged or not the expected file: retry, or check the URL")
        }

        try validate?(temporary)

        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            throw WeightStoreError(.fileSystem, subject: target, problem: "cannot move the verified download into place (\(reason))",
                                   fix: "make \(directory) writable and retry")
        }
        keepTemporary = true // it is the destination now
        return target
    }

    private func defaultDestination(for url: URL) throws -> String {
        let name = url.lastPathComponent
        guard !name.isEmpty, name != "/", name != "." , name != ".." else {
            throw WeightStoreError(.unsupportedURL, subject: url.absoluteString,
                                   problem: "the URL names no file", fix: "pass a destination path")
        }
        return home + "/" + name
    }

    /// Copies a file:// URL into the sink in 1 MiB chunks.
    private func copyFile(_ url: URL, sink: DownloadSink) throws {
        let path = url.path
        guard let source = FileHandle(forReadingAtPath: path) else {
            let problem = FileManager.default.fileExists(atPath: path) ? "cannot open the source file" : "the source file does not exist"
            throw WeightStoreError(.transfer, subject: url.absoluteString, problem: problem,
                                   fix: "check the path, or use an http(s):// URL")
        }
        defer { try? source.close() }
        let total = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
        while true {
            let chunk: Data
            do {
                chunk = try source.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw WeightStoreError(.transfer, subject: url.absoluteString,
                                       problem: "reading failed (\(error.localizedDescription))", fix: "check the source file and retry")
            }
            if chunk.isEmpty { break }
            try sink.write(chunk, total: total)
        }
    }
}

/// A failed `WeightStore` operation. Its description is one line: the URL or file, what is
/// wrong, and what to do.
public struct WeightStoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The server answered with this non-2xx HTTP status.
        case httpStatus(Int)
        /// The download arrived but its SHA-256 is not the expected one.
        case checksumMismatch(expected: String, actual: String)
        /// The connection or the source failed (refused, timed out, missing file:// source...).
        case transfer
        /// A local file or directory could not be created, written or renamed.
        case fileSystem
        case unsupportedURL
        case invalidChecksum
    }

    public let kind: Kind
    /// The URL or file path concerned.
    public let subject: String
    public let problem: String
    public let fix: String

    public init(_ kind: Kind, subject: String, problem: String, fix: String) {
        self.kind = kind
        self.subject = subject
        self.problem = problem
        self.fix = fix
    }

    public var description: String { "\(subject): \(problem); \(fix)" }
}

/// Receives the downloaded bytes: writes them to the temporary file and hashes them.
private final class DownloadSink: @unchecked Sendable {
    let handle: FileHandle
    let path: String
    let progress: ((Int64, Int64?) -> Void)?
    var hash = SHA256()
    var received: Int64 = 0

    init(handle: FileHandle, path: String, progress: ((Int64, Int64?) -> Void)?) {
        self.handle = handle
        self.path = path
        self.progress = progress
    }

    func write(_ data: Data, total: Int64?) throws {
        do {
            try handle.write(contentsOf: data)
        } catch {
            throw WeightStoreError(.fileSystem, subject: path, problem: "cannot write the download (\(error.localizedDescription))",
                                   fix: "free some disk space and retry")
        }
        hash.update(data)
        received += Int64(data.count)
        progress?(received, total)
    }
}

/// One HTTP(S) GET streamed into a sink, waited for synchronously.
private final class HTTPDownload: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let url: URL
    private let sink: DownloadSink
    private let destination: String
    private let done = DispatchSemaphore(value: 0)
    // Touched only on the session's serial delegate queue until `done` is signalled.
    private var failure: WeightStoreError?
    private var total: Int64?

    init(url: URL, sink: DownloadSink, destination: String) {
        self.url = url
        self.sink = sink
        self.destination = destination
    }

    func run() throws {
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60 // idle time allowed between packets
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
        session.dataTask(with: URLRequest(url: url)).resume()
        done.wait()
        session.finishTasksAndInvalidate()
        if let failure { throw failure }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            let reason = HTTPURLResponse.localizedString(forStatusCode: http.statusCode)
            failure = WeightStoreError(.httpStatus(http.statusCode), subject: url.absoluteString,
                                       problem: "the server answered HTTP \(http.statusCode) (\(reason))",
                                       fix: "check the URL, or download the file by hand to \(destination)")
            completionHandler(.cancel)
            return
        }
        total = response.expectedContentLength >= 0 ? response.expectedContentLength : nil
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        do {
            try sink.write(data, total: total)
        } catch let error as WeightStoreError {
            failure = error
            dataTask.cancel()
        } catch {
            failure = WeightStoreError(.fileSystem, subject: sink.path, problem: "\(error)", fix: "retry")
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if failure == nil, let error {
            failure = WeightStoreError(.transfer, subject: url.absoluteString,
                                       problem: "the download failed (\(error.localizedDescription))",
                                       fix: "check the network connection and the URL, then retry")
        }
        done.signal()
    }
}
