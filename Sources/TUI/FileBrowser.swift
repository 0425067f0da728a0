import Doodle
import Foundation

/// Folders files were last picked from, most recent first, optionally kept in a file.
public struct RecentFolders: Sendable, Equatable {
    public private(set) var folders: [String]
    public let limit: Int
    /// One folder per line; `nil` keeps them in memory only.
    public let storePath: String?

    public init(folders: [String] = [], limit: Int = 10, storePath: String? = nil) {
        self.limit = limit
        self.storePath = storePath
        var loaded: [String] = []
        if let storePath, let text = try? String(contentsOfFile: storePath, encoding: .utf8) {
            loaded = text.split(separator: "\n").map(String.init)
        }
        self.folders = []
        for folder in loaded.reversed() + folders.reversed() { note(folder, save: false) }
    }

    /// Moves (or adds) `folder` to the front.
    public mutating func note(_ folder: String, save: Bool = true) {
        guard !folder.isEmpty else { return }
        let standard = (folder as NSString).standardizingPath
        folders.removeAll { $0 == standard }
        folders.insert(standard, at: 0)
        if folders.count > limit { folders.removeLast(folders.count - limit) }
        if save, let storePath {
            try? FileManager.default.createDirectory(atPath: (storePath as NSString).deletingLastPathComponent,
                                                     withIntermediateDirectories: true)
            try? (folders.joined(separator: "\n") + "\n").write(toFile: storePath, atomically: true, encoding: .utf8)
        }
    }
}

/// A directory listing for choosing an image (sub-folders and .png/.jpg/.jpeg files) or a
/// preset (the built-in presets at the top, then sub-folders and .yaml/.yml files), hidden
/// files left out, narrowed by what is typed (type-ahead), with the recent folders a key away.
public struct FileBrowser: Sendable {
    /// What is being chosen.
    public enum Kind: Sendable, Equatable {
        case images, presets

        /// The extensions listed and accepted.
        public var extensions: [String] { self == .images ? FileBrowser.imageExtensions : FileBrowser.presetExtensions }
        /// "images", "presets".
        var noun: String { self == .images ? "images" : "presets" }
    }

    public struct Entry: Equatable, Sendable {
        public let name: String
        /// The file or folder; a built-in preset's name for built-ins.
        public let path: String
        public let isDirectory: Bool
        /// Bytes (files only).
        public let size: Int?
        /// A built-in preset (not a file).
        public var isBuiltin = false
        public var isParent: Bool { name == ".." }
    }

    public enum Outcome: Equatable, Sendable {
        case none
        case openedDirectory(String)
        case picked(String)
    }

    public static let imageExtensions = ["png", "jpg", "jpeg"]
    public static let presetExtensions = ["yaml", "yml"]

    public let kind: Kind

    /// Absolute, standardized.
    public private(set) var directory: String
    /// Every entry of the directory that is listed, parent first, then folders, then images.
    public private(set) var entries: [Entry] = []
    /// The type-ahead text.
    public private(set) var query = ""
    /// Index into `visible`.
    public private(set) var selection = 0
    /// Showing the recent folders instead of the directory.
    public private(set) var showingRecent = false
    public private(set) var recentSelection = 0
    public var recent: RecentFolders
    /// Why the last action did nothing (an unreadable folder, a path that does not exist).
    public private(set) var message: String?

    public init(directory: String, recent: RecentFolders = RecentFolders(), kind: Kind = .images) {
        self.directory = Self.absolute(directory)
        self.recent = recent
        self.kind = kind
        reload()
    }

    public static func isImageName(_ name: String) -> Bool {
        imageExtensions.contains((name as NSString).pathExtension.lowercased())
    }

    /// Whether a file of this name is listed (an image, or a .yaml/.yml file for presets).
    public func accepts(_ name: String) -> Bool {
        kind.extensions.contains((name as NSString).pathExtension.lowercased())
    }

    /// The entries that match the query: names that start with it first, then names that
    /// contain it (case-insensitive); folders before files within each. ".." only without a query.
    public var visible: [Entry] {
        guard !query.isEmpty else { return entries }
        if Self.isPathQuery(query) { return [] }
        let q = query.lowercased()
        let candidates = entries.filter { !$0.isParent }
        let prefix = candidates.filter { $0.name.lowercased().hasPrefix(q) }
        let inside = candidates.filter { !$0.name.lowercased().hasPrefix(q) && $0.name.lowercased().contains(q) }
        return prefix + inside
    }

    public var selectedEntry: Entry? {
        let v = visible
        return v.indices.contains(selection) ? v[selection] : nil
    }

    // MARK: - Actions

    /// Type-ahead: adds a character to the query; the best match is selected.
    public mutating func type(_ c: Character) {
        query.append(c)
        selection = 0
        message = nil
    }

    /// Removes the last character of the query; with no query, goes to the parent folder.
    public mutating func backspace() {
        if query.isEmpty { goUp() } else {
            query.removeLast()
            selection = 0
        }
    }

    public mutating func clearQuery() {
        query = ""
        selection = 0
    }

    public mutating func moveSelection(by delta: Int) {
        if showingRecent {
            recentSelection = max(0, min(recent.folders.count - 1, recentSelection + delta))
        } else {
            selection = max(0, min(visible.count - 1, selection + delta))
        }
    }

    public mutating func selectFirst() { if showingRecent { recentSelection = 0 } else { selection = 0 } }
    public mutating func selectLast() { moveSelection(by: Int.max / 2) }

    public mutating func toggleRecent() {
        showingRecent.toggle()
        recentSelection = 0
        message = nil
    }

    /// Enter: opens the selected folder, or picks the selected image. A query that is a path
    /// ("/", "~/", "./", "../") opens that folder or picks that file.
    public mutating func activate() -> Outcome {
        message = nil
        if showingRecent {
            guard recent.folders.indices.contains(recentSelection) else { return .none }
            showingRecent = false
            return open(recent.folders[recentSelection]) ? .openedDirectory(directory) : .none
        }
        if Self.isPathQuery(query) {
            let path = Self.absolute((query as NSString).expandingTildeInPath, relativeTo: directory)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                message = "'\(query)': no such file or folder"
                return .none
            }
            if isDir.boolValue { return open(path) ? .openedDirectory(directory) : .none }
            guard accepts(path) else {
                message = "'\(query)' is not a \(kind.extensions.map { "." + $0 }.joined(separator: "/")) file"
                return .none
            }
            return pick(path)
        }
        guard let entry = selectedEntry else {
            message = query.isEmpty ? "no \(kind.noun) or folders here" : "nothing matches '\(query)'"
            return .none
        }
        if entry.isDirectory { return open(entry.path) ? .openedDirectory(directory) : .none }
        return pick(entry.path)
    }

    /// Right arrow: into the selected folder (nothing for a file).
    public mutating func enterSelected() -> Outcome {
        guard !showingRecent, let entry = selectedEntry, entry.isDirectory else { return .none }
        return open(entry.path) ? .openedDirectory(directory) : .none
    }

    /// The parent folder, with the folder we came from selected.
    public mutating func goUp() {
        let here = directory
        guard here != "/" else { return }
        if open((here as NSString).deletingLastPathComponent) {
            let name = (here as NSString).lastPathComponent
            if let i = visible.firstIndex(where: { $0.name == name }) { selection = i }
        }
    }

    /// Lists `path`; on failure stays where it was and says why in `message`.
    @discardableResult
    public mutating func open(_ path: String) -> Bool {
        let target = Self.absolute(path, relativeTo: directory)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: target) else {
            message = "cannot open '\(target)': not a readable folder"
            return false
        }
        directory = target
        query = ""
        selection = 0
        showingRecent = false
        entries = Self.list(target, names: names, kind: kind)
        return true
    }

    /// Lists the current directory again (files may have appeared).
    public mutating func reload() {
        if !open(directory) {
            entries = []
        }
    }

    // MARK: - Internals

    private mutating func pick(_ path: String) -> Outcome {
        recent.note((path as NSString).deletingLastPathComponent)
        return .picked(path)
    }

    static func isPathQuery(_ q: String) -> Bool {
        q.hasPrefix("/") || q.hasPrefix("~") || q.hasPrefix("./") || q.hasPrefix("../") || q == ".."
    }

    static func list(_ directory: String, names: [String], kind: Kind = .images) -> [Entry] {
        var folders: [Entry] = [], images: [Entry] = []
        for name in names where !name.hasPrefix(".") {
            let path = directory == "/" ? "/" + name : directory + "/" + name
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { continue }
            if isDir.boolValue {
                folders.append(Entry(name: name, path: path, isDirectory: true, size: nil))
            } else if kind.extensions.contains((name as NSString).pathExtension.lowercased()) {
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
                images.append(Entry(name: name, path: path, isDirectory: false, size: size))
            }
        }
        let order: (Entry, Entry) -> Bool = { $0.name.compare($1.name, options: [.caseInsensitive, .numeric]) == .orderedAscending }
        let parent = directory == "/" ? [] : [Entry(name: "..", path: (directory as NSString).deletingLastPathComponent,
                                                    isDirectory: true, size: nil)]
        let builtins = kind == .presets
            ? Preset.builtinNames.map { Entry(name: $0, path: $0, isDirectory: false, size: nil, isBuiltin: true) } : []
        return builtins + parent + folders.sorted(by: order) + images.sorted(by: order)
    }

    static func absolute(_ path: String, relativeTo base: String = FileManager.default.currentDirectoryPath) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        let full = expanded.hasPrefix("/") ? expanded : (base as NSString).appendingPathComponent(expanded)
        let standard = (full as NSString).standardizingPath
        return standard.isEmpty ? "/" : standard
    }
}
