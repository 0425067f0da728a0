import XCTest
import Foundation
import Net

final class SHA256Tests: XCTestCase {
    private func hex(_ text: String) -> String { SHA256.hexDigest(of: text.utf8) }

    // FIPS 180-4 / NIST CSRC example vectors.
    func testEmptyMessage() {
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256().finalize().count, 32)
    }

    func testABC() {
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func test448BitMessage() {
        XCTAssertEqual(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func test896BitMessage() {
        XCTAssertEqual(hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    func testOneMillionA() {
        XCTAssertEqual(SHA256.hexDigest(of: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // The same, streamed one byte at a time and in odd pieces.
        var h = SHA256()
        for _ in 0..<1_000_000 { h.update(CollectionOfOne(UInt8(ascii: "a"))) }
        XCTAssertEqual(h.finalizeHex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testSplitUpdatesEqualOneShot() {
        // Lengths around the block (64) and padding (56) boundaries, split at every point.
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 300] {
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let oneShot = SHA256.hexDigest(of: message)
            for cut in 0...length {
                var h = SHA256()
                h.update(message[..<cut])
                h.update(message[cut...])
                XCTAssertEqual(h.finalizeHex(), oneShot, "length \(length), cut \(cut)")
            }
            // Three pieces through the three entry points.
            var h = SHA256()
            let a = length / 3, b = 2 * length / 3
            message[..<a].withUnsafeBytes { h.update($0) }
            h.update(Data(message[a..<b]))
            h.update(message[b...].lazy.map { $0 })
            XCTAssertEqual(h.finalizeHex(), oneShot, "length \(length), three pieces")
        }
    }

    func testFinalizeDoesNotConsume() {
        var h = SHA256()
        h.update("ab".utf8)
        XCTAssertEqual(h.finalizeHex(), hex("ab"))
        h.update("c".utf8)
        XCTAssertEqual(h.finalizeHex(), hex("abc"))
    }

    func testFileHashMatchesInMemoryHash() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sha256-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Larger than one 1 MiB read and not a multiple of it.
        let bytes = (0..<(3 << 20) + 12345).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }
        let path = dir.appendingPathComponent("blob").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try SHA256.hexDigest(ofFile: path), SHA256.hexDigest(of: bytes))
        let empty = dir.appendingPathComponent("empty").path
        try Data().write(to: URL(fileURLWithPath: empty))
        XCTAssertEqual(try SHA256.hexDigest(ofFile: empty), hex(""))
    }

    func testMissingFileThrowsNamingThePath() {
        let path = "/nonexistent/doodle-\(UUID().uuidString)"
        XCTAssertThrowsError(try SHA256.hexDigest(ofFile: path)) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }

    func testPinnedWeightsFile() throws {
        let path = WeightStore().defaultWeightsPath // ~/.cache/doodle/vgg_normalised.pth unless DOODLE_HOME is set
        guard FileManager.default.fileExists(atPath: path) else {
            return XCTFail("\(path) is missing: run scripts/setup to download the VGG weights")
        }
        // Its speed is `doodle bench kernels`'.
        XCTAssertEqual(try SHA256.hexDigest(ofFile: path), "804ca2835ecf7539f0cd2a7ac3c18ce81e6f8468969ae7117ac0c148d286bb4a")
    }
}
