import Foundation
import TUI
import XCTest

final class FileBrowserTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("doodle-browser-\(UUID().uuidString)").path
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/sub/deeper", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/Paintings", withIntermediateDirectories: true)
        for name in ["b.png", "A.JPG", "c.jpeg", "img10.png", "img9.png", "notes.txt", ".hidden.png", "photo.gif", "sub/inner.png"] {
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: root + "/" + name))
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    func names(_ b: FileBrowser) -> [String] { b.visible.map(\.name) }

    func testListsFoldersAndImagesOnly() {
        let b = FileBrowser(directory: root)
        XCTAssertEqual(names(b), ["..", "Paintings", "sub", "A.JPG", "b.png", "c.jpeg", "img9.png", "img10.png"])
        XCTAssertEqual(b.selectedEntry?.name, "..")
        XCTAssertTrue(FileBrowser.isImageName("x.PNG"))
        XCTAssertFalse(FileBrowser.isImageName("x.gif"))
        XCTAssertEqual(b.visible.first { $0.name == "b.png" }?.size, 3)
    }

    func testTypeAheadNarrowsPrefixFirst() {
        var b = FileBrowser(directory: root)
        b.type("b")
        XCTAssertEqual(names(b), ["b.png", "sub"], "names starting with the text, then names containing it")
        XCTAssertEqual(b.selectedEntry?.name, "b.png")
        b.backspace()
        XCTAssertEqual(b.query, "")
        XCTAssertEqual(names(b).count, 8)
        for c in "JP" { b.type(c) }
        XCTAssertEqual(names(b), ["A.JPG", "c.jpeg"], "case-insensitive")
        b.type("x")
        XCTAssertEqual(names(b), [])
        XCTAssertEqual(b.activate(), .none)
        XCTAssertEqual(b.message, "nothing matches 'JPx'")
        b.clearQuery()
        for c in "img" { b.type(c) }
        b.moveSelection(by: 1)
        XCTAssertEqual(b.selectedEntry?.name, "img10.png")
        b.moveSelection(by: 10)
        XCTAssertEqual(b.selectedEntry?.name, "img10.png", "selection stays in the list")
    }

    func testEnterFoldersPickFilesAndGoBack() {
        var b = FileBrowser(directory: root)
        for c in "su" { b.type(c) }
        XCTAssertEqual(b.activate(), .openedDirectory(root + "/sub"))
        XCTAssertEqual(b.query, "", "the query is cleared in the new folder")
        XCTAssertEqual(names(b), ["..", "deeper", "inner.png"])
        b.moveSelection(by: 2)
        XCTAssertEqual(b.activate(), .picked(root + "/sub/inner.png"))
        XCTAssertEqual(b.recent.folders.first, root + "/sub")
        b.backspace()   // empty query: up
        XCTAssertEqual(b.directory, root)
        XCTAssertEqual(b.selectedEntry?.name, "sub", "the folder we came from is selected")
        b.type("P")
        XCTAssertEqual(b.enterSelected(), .openedDirectory(root + "/Paintings"))
        b.goUp()
        XCTAssertEqual(b.directory, root)
    }

    func testTypedPaths() {
        var b = FileBrowser(directory: root + "/sub")
        for c in root + "/b.png" { b.type(c) }
        XCTAssertEqual(names(b), [], "a path is not a filter")
        XCTAssertEqual(b.activate(), .picked(root + "/b.png"))
        b.clearQuery()
        for c in "../Paintings" { b.type(c) }
        XCTAssertEqual(b.activate(), .openedDirectory(root + "/Paintings"))
        for c in "/no/such/place" { b.type(c) }
        XCTAssertEqual(b.activate(), .none)
        XCTAssertEqual(b.message, "'/no/such/place': no such file or folder")
        b.clearQuery()
        for c in root + "/notes.txt" { b.type(c) }
        XCTAssertEqual(b.activate(), .none)
        XCTAssertTrue(b.message?.contains("not a .png/.jpg/.jpeg") == true)
    }

    func testRecentFolders() throws {
        var r = RecentFolders(limit: 3)
        for f in ["/a", "/b", "/a", "/c", "/d"] { r.note(f) }
        XCTAssertEqual(r.folders, ["/d", "/c", "/a"])
        let store = root + "/state/recent"
        var kept = RecentFolders(storePath: store)
        kept.note(root + "/sub/")
        kept.note(root)
        let again = RecentFolders(folders: ["/x"], storePath: store)
        XCTAssertEqual(again.folders, ["/x", root, root + "/sub"], "kept between sessions, newest first")
        var b = FileBrowser(directory: root, recent: again)
        b.toggleRecent()
        XCTAssertTrue(b.showingRecent)
        b.moveSelection(by: 2)
        XCTAssertEqual(b.activate(), .openedDirectory(root + "/sub"))
        XCTAssertFalse(b.showingRecent)
    }

    func testUnreadableFolderSaysWhy() {
        var b = FileBrowser(directory: root)
        XCTAssertFalse(b.open(root + "/b.png"))
        XCTAssertEqual(b.directory, root)
        XCTAssertTrue(b.message?.contains("not a readable folder") == true)
    }
}
