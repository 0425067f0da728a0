import Doodle
import Foundation
import XCTest
import Net

#if canImport(Glibc)
import Glibc
#endif

/// Decoding and encoding through the public API. The fixtures in
/// Tests/Fixtures/images and the values they must decode to (expected.json)
/// are written by Tests/Fixtures/images/make_fixtures.py.
final class ImageIOTests: XCTestCase {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures/images")
    static let sharedImages = testsDirectory.deletingLastPathComponent()
        .appendingPathComponent("../shared/images").standardizedFileURL

    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("doodle-imageio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    // MARK: Helpers

    private func fixture(_ name: String) -> String { Self.fixtures.appendingPathComponent(name).path }
    private func scratchPath(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    private struct Expected: Sendable {
        let width, height, channels: Int
        let tolerance: Float
        let pixels: [Float]
    }

    /// expected.json, parsed once.
    private static let expectations: [String: Expected] = {
        let url = fixtures.appendingPathComponent("expected.json")
        guard let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else { return [:] }
        return json.compactMapValues { entry in
            guard let width = entry["width"] as? Int, let height = entry["height"] as? Int,
                  let channels = entry["channels"] as? Int, let tolerance = entry["tolerance"] as? Double,
                  let pixels = entry["pixels"] as? [Double] else { return nil }
            return Expected(width: width, height: height, channels: channels,
                            tolerance: Float(tolerance), pixels: pixels.map(Float.init))
        }
    }()

    private func expected(_ name: String) throws -> Expected {
        try XCTUnwrap(Self.expectations[name], "no usable entry for \(name) in expected.json")
    }

    /// Decodes fixture `name` and compares every sample with expected.json.
    /// Returns the mean absolute error.
    @discardableResult
    private func checkFixture(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Float {
        let want = try expected(name)
        let image = try Image.read(from: fixture(name))
        XCTAssertEqual(image.width, want.width, "\(name) width", file: file, line: line)
        XCTAssertEqual(image.height, want.height, "\(name) height", file: file, line: line)
        XCTAssertEqual(image.channels, want.channels, "\(name) channels", file: file, line: line)
        guard image.pixels.count == want.pixels.count else {
            XCTFail("\(name): \(image.pixels.count) samples, expected \(want.pixels.count)", file: file, line: line)
            return .infinity
        }
        var worst: Float = 0, worstIndex = 0, total: Float = 0
        for (i, (got, value)) in zip(image.pixels, want.pixels).enumerated() {
            let error = abs(got - value)
            total += error
            if error > worst { worst = error; worstIndex = i }
        }
        XCTAssertLessThanOrEqual(worst, max(want.tolerance, 1e-4),
                                 "\(name): sample \(worstIndex) is \(image.pixels[worstIndex]), expected \(want.pixels[worstIndex])",
                                 file: file, line: line)
        return total / Float(want.pixels.count)
    }

    private func expectError(_ kind: ImageError.Kind, file: StaticString = #filePath, line: UInt = #line,
                             _ body: () throws -> Void) -> ImageError? {
        do {
            try body()
            XCTFail("expected an ImageError of kind \(kind), nothing was thrown", file: file, line: line)
        } catch let error as ImageError {
            XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), "description must be one line", file: file, line: line)
            return error
        } catch {
            XCTFail("expected an ImageError, got \(error)", file: file, line: line)
        }
        return nil
    }

    /// Plain write without Data.write's fsync, which makes thousands of fuzz writes slow.
    private func writeBytes<C: Collection<UInt8>>(_ bytes: C, to path: String) throws {
        guard let file = fopen(path, "wb") else { throw CocoaError(.fileWriteUnknown) }
        defer { fclose(file) }
        let array = Array(bytes)
        guard fwrite(array, 1, array.count, file) == array.count else { throw CocoaError(.fileWriteUnknown) }
    }

    private func contents(of directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    // MARK: PNG kinds

    func testGray8PNGDecodesToOneChannel() throws { try checkFixture("gray8.png") }

    func testGray4PNGIsExpandedTo8Bit() throws { try checkFixture("gray4.png") }

    func testGray16PNGKeepsPrecision() throws {
        try checkFixture("gray16.png")
        // Sample (0, 0) is 3/65535: it must not be rounded to an 8-bit level.
        let image = try Image.read(from: fixture("gray16.png"))
        XCTAssertEqual(image.pixel(c: 0, x: 0, y: 0), Float(3.0 * 255.0 / 65535.0), accuracy: 1e-6)
    }

    func testGrayAlphaPNGIsCompositedOverWhiteAndStaysGray() throws { try checkFixture("gray_alpha8.png") }

    func testRGB8PNG() throws { try checkFixture("rgb8.png") }

    /// A preview is the box average of the file's samples, at most `maxSide` a side, with the
    /// file's own size; small files come back whole.
    func testPreviewIsABoxAverageWithTheFilesSize() throws {
        let path = NSTemporaryDirectory() + "preview-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let image = Image(width: 100, height: 60, channels: 3) { c, x, y in Float((x * 7 + y * 3 + c * 50) % 256) }
        try image.writePNG(to: path)
        let preview = try Image.readPreview(from: path, maxSide: 32)
        XCTAssertEqual(preview.width, 100)
        XCTAssertEqual(preview.height, 60)
        XCTAssertEqual(preview.image.width, 25, "factor 4")
        XCTAssertEqual(preview.image.height, 15)
        for (c, x, y) in [(0, 0, 0), (1, 7, 3), (2, 24, 14)] {
            var sum: Float = 0
            for dy in 0..<4 { for dx in 0..<4 { sum += image.pixel(c: c, x: 4 * x + dx, y: 4 * y + dy) } }
            XCTAssertEqual(preview.image.pixel(c: c, x: x, y: y), (sum / 16).rounded(), accuracy: 0.51)
        }
        XCTAssertEqual(try Image.readPreview(from: path, maxSide: 256).image, try Image.read(from: path))
        let rgba = try Image.readPreview(from: fixture("rgba8.png"), maxSide: 256).image
        XCTAssertEqual(rgba, try Image.read(from: fixture("rgba8.png")))
    }

    func testRGBA8PNGIsCompositedOverWhite() throws {
        try checkFixture("rgba8.png")
        // (0, 0) has alpha 0 (pure white); (1, 0) has alpha 255 (the colour itself).
        let image = try Image.read(from: fixture("rgba8.png"))
        XCTAssertEqual((0..<3).map { image.pixel(c: $0, x: 0, y: 0) }, [255, 255, 255])
        XCTAssertEqual((0..<3).map { image.pixel(c: $0, x: 1, y: 0) }, [56, 111, 226])
        XCTAssertGreaterThan(image.transparentShare, 0, "the transparent share is kept for a notice")
        XCTAssertEqual(try Image.read(from: fixture("rgb8.png")).transparentShare, 0)
    }

    func testRGB16PNGKeepsPrecision() throws { try checkFixture("rgb16.png") }

    func testRGBA16PNGIsCompositedOverWhite() throws { try checkFixture("rgba16.png") }

    func testPalettePNGWithTRNS() throws { try checkFixture("palette_trns.png") }

    func testRGBPNGWithTRNSColourKey() throws { try checkFixture("rgb8_trns.png") }

    func testAdam7InterlacedPNG() throws { try checkFixture("rgb8_adam7.png") }

    // MARK: JPEG

    func testGrayJPEGDecodesToOneChannel() throws {
        XCTAssertLessThan(try checkFixture("gray.jpg"), 1)
    }

    func testRGBJPEG() throws {
        XCTAssertLessThan(try checkFixture("rgb.jpg"), 1)
    }

    func testAdobeCMYKJPEGIsConvertedToRGB() throws {
        XCTAssertLessThan(try checkFixture("cmyk_adobe.jpg"), 1)
    }

    func testMonetJPEGFromSharedImages() throws {
        let path = Self.sharedImages.appendingPathComponent("Monet.jpg").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) is absent")
        }
        let image = try Image.read(from: path)
        XCTAssertEqual(image.width, 512)
        XCTAssertEqual(image.height, 384)
        XCTAssertEqual(image.channels, 3)
        XCTAssertTrue(image.pixels.allSatisfy { $0 >= 0 && $0 <= 255 && $0 == $0.rounded() })
        // Channel means recorded from libjpeg-turbo 2.1.5; any correct decoder lands within a fraction of a level.
        XCTAssertEqual(image.mean(channel: 0), 120.25, accuracy: 0.5)
        XCTAssertEqual(image.mean(channel: 1), 125.23, accuracy: 0.5)
        XCTAssertEqual(image.mean(channel: 2), 131.32, accuracy: 0.5)
        // Cutting the progressive file anywhere is reported as truncation.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = scratchPath("cut.jpg")
        for fraction in [0.1, 0.5, 0.99] {
            try bytes.prefix(Int(Double(bytes.count) * fraction)).write(to: URL(fileURLWithPath: cut))
            let error = expectError(.truncated) { _ = try Image.read(from: cut) }
            XCTAssertEqual(error?.description.hasPrefix("cannot read '\(cut)': truncated JPEG data (libjpeg: "), true)
        }
    }

    // MARK: Detection and read errors

    func testFormatIsDetectedByMagicBytesNotExtension() throws {
        let pngNamedJPG = scratchPath("really-a-png.jpg")
        let jpgNamedPNG = scratchPath("really-a-jpeg.png")
        try FileManager.default.copyItem(atPath: fixture("rgb8.png"), toPath: pngNamedJPG)
        try FileManager.default.copyItem(atPath: fixture("rgb.jpg"), toPath: jpgNamedPNG)
        XCTAssertEqual(try Image.read(from: pngNamedJPG), try Image.read(from: fixture("rgb8.png")))
        XCTAssertEqual(try Image.read(from: jpgNamedPNG), try Image.read(from: fixture("rgb.jpg")))
    }

    func testNonImageFileIsRejectedWithTheFix() throws {
        let path = scratchPath("x.png")
        try Data("GIF89a\u{1}\u{0}".utf8).write(to: URL(fileURLWithPath: path))
        let error = expectError(.unsupportedFormat) { _ = try Image.read(from: path) }
        XCTAssertEqual(error?.description,
                       "cannot read '\(path)': not a PNG or JPEG file (starts with 'GIF8'); convert it to PNG")

        try Data([0x49, 0x49, 0x2A, 0x00, 0x08]).write(to: URL(fileURLWithPath: path))
        let tiff = expectError(.unsupportedFormat) { _ = try Image.read(from: path) }
        XCTAssertEqual(tiff?.description,
                       "cannot read '\(path)': not a PNG or JPEG file (starts with 'II*\\x00'); convert it to PNG")
    }

    func testMissingFileDirectoryAndEmptyFile() throws {
        let missing = scratchPath("nope.png")
        XCTAssertEqual(expectError(.notFound) { _ = try Image.read(from: missing) }?.description,
                       "'\(missing)': no such file")

        let directory = scratch.path
        XCTAssertEqual(expectError(.unreadable) { _ = try Image.read(from: directory) }?.description,
                       "cannot read '\(directory)': it is a directory; give an image file")

        let empty = scratchPath("empty.png")
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        XCTAssertEqual(expectError(.unsupportedFormat) { _ = try Image.read(from: empty) }?.description,
                       "cannot read '\(empty)': the file is empty; give a PNG or JPEG file")
    }

    func testTruncatedPNGIsReportedAsTruncated() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture("rgb8.png")))
        let path = scratchPath("x.png")
        try bytes.prefix(bytes.count - 20).write(to: URL(fileURLWithPath: path))
        let error = expectError(.truncated) { _ = try Image.read(from: path) }
        XCTAssertEqual(error?.description.hasPrefix("cannot read '\(path)': truncated PNG data (libpng: "), true,
                       error?.description ?? "")
    }

    func testCorruptPNGIsReportedAsCorrupt() throws {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("rgb8.png"))))
        let path = scratchPath("x.png")
        // A changed width fails the IHDR checksum.
        var bytes = original
        bytes[16] ^= 0x55
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(expectError(.corrupt) { _ = try Image.read(from: path) }?.description,
                       "cannot read '\(path)': corrupt PNG data (libpng: IHDR: CRC error); the file is damaged, export it again")
        // A changed byte of compressed pixels fails the zlib or chunk checksum.
        bytes = original
        bytes[bytes.count - 20] ^= 0x55
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = expectError(.corrupt) { _ = try Image.read(from: path) }
        XCTAssertEqual(error?.description.hasPrefix("cannot read '\(path)': corrupt PNG data (libpng: IDAT: "), true,
                       error?.description ?? "")
    }

    func testOversizedImageIsRefusedBeforeDecoding() throws {
        let path = fixture("too_large.png")
        XCTAssertEqual(expectError(.tooLarge) { _ = try Image.read(from: path) }?.description,
                       "cannot read '\(path)': image is 9000x9000 pixels, more than the limit of 67108864; downscale it first")
    }

    func testTruncatedJPEGIsReportedAsTruncated() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture("rgb.jpg")))
        let path = scratchPath("x.jpg")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        let error = expectError(.truncated) { _ = try Image.read(from: path) }
        XCTAssertEqual(error?.description,
                       "cannot read '\(path)': truncated JPEG data (libjpeg: Premature end of JPEG file); the file is incomplete, copy or export it again")
    }

    /// Every strict prefix of every fixture must throw; random byte corruptions
    /// must either throw an ImageError or decode to a sane image. Never a crash.
    func testFuzzedFixturesThrowOrDecodeButNeverCrash() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path)
            .filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 14)
        let path = scratchPath("fuzz")
        var generator = SplitMix64(seed: 0x5EED)
        var decodedCorruptions = 0, rejectedCorruptions = 0
        for name in names {
            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture(name))))
            for length in 0..<original.count {
                try writeBytes(original.prefix(length), to: path)
                XCTAssertThrowsError(try Image.read(from: path), "\(name) cut to \(length) bytes") { error in
                    XCTAssertTrue(error is ImageError, "\(error)")
                }
            }
            for _ in 0..<100 {
                var bytes = original
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    let position = Int(generator.next() % UInt64(bytes.count))
                    bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                }
                try writeBytes(bytes, to: path)
                do {
                    let image = try Image.read(from: path)
                    decodedCorruptions += 1
                    XCTAssertTrue(image.channels == 1 || image.channels == 3)
                    XCTAssertEqual(image.pixels.count, image.width * image.height * image.channels)
                    XCTAssertTrue(image.pixels.allSatisfy { $0 >= 0 && $0 <= 255 }, "\(name): values out of range")
                } catch is ImageError {
                    rejectedCorruptions += 1
                }
            }
        }
        XCTAssertGreaterThan(rejectedCorruptions, 0)
        print("fuzz: \(rejectedCorruptions) corruptions rejected, \(decodedCorruptions) decoded")
    }

    // MARK: Writing

    func testRoundTripRGBIsExact() throws {
        var generator = SplitMix64(seed: 7)
        let image = Image(width: 13, height: 7, channels: 3) { _, _, _ in Float(generator.next() % 256) }
        let path = scratchPath("rgb.png")
        try image.writePNG(to: path)
        XCTAssertEqual(try Image.read(from: path), image)
    }

    func testRoundTripGrayIsExactAndStaysGray() throws {
        var generator = SplitMix64(seed: 8)
        let image = Image(width: 6, height: 11, channels: 1) { _, _, _ in Float(generator.next() % 256) }
        let path = scratchPath("gray.png")
        try image.writePNG(to: path)
        let read = try Image.read(from: path)
        XCTAssertEqual(read.channels, 1)
        XCTAssertEqual(read, image)
    }

    func testWriteClampsAndRounds() throws {
        let values: [Float] = [-5, 300, 12.4, 12.5, 12.6, .nan, 254.5, 0.49, .infinity, -.infinity]
        let image = Image(width: values.count, height: 1, channels: 1, pixels: values)
        let path = scratchPath("clamped.png")
        try image.writePNG(to: path)
        XCTAssertEqual(try Image.read(from: path).pixels, [0, 255, 12, 13, 13, 0, 255, 0, 255, 0])
    }

    func testWriteReplacesAnExistingFileAndLeavesNoTemporaryFile() throws {
        let path = scratchPath("out.png")
        try Image(width: 2, height: 2, channels: 3, repeating: 10).writePNG(to: path)
        let second = Image(width: 3, height: 1, channels: 3, repeating: 200)
        try second.writePNG(to: path)
        XCTAssertEqual(try Image.read(from: path), second)
        XCTAssertEqual(contents(of: scratch), ["out.png"])
    }

    func testFailedWriteLeavesTheExistingFileUntouched() throws {
        let path = scratchPath("keep.png")
        try Image(width: 4, height: 4, channels: 3, repeating: 77).writePNG(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        // An image that cannot be saved as PNG.
        _ = expectError(.invalidImage) {
            try Image(width: 4, height: 4, channels: 2, repeating: 0).writePNG(to: path)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)

        #if canImport(Glibc)
        // A failure in the middle of writing: a file size limit of 200 bytes makes write() fail
        // with EFBIG (SIGXFSZ ignored) after the temporary file exists.
        var generator = SplitMix64(seed: 9)
        let noise = Image(width: 64, height: 64, channels: 3) { _, _, _ in Float(generator.next() % 256) }
        var saved = rlimit()
        XCTAssertEqual(getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &saved), 0)
        var limited = saved
        limited.rlim_cur = 200
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limited), 0)
        let error = expectError(.unwritable) { try noise.writePNG(to: path) }
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &saved), 0)
        signal(SIGXFSZ, previousHandler)
        XCTAssertEqual(error?.description, "cannot write '\(path)': file too large for this file system or process limit")
        #endif

        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(contents(of: scratch), ["keep.png"], "the temporary file must be removed")
    }

    func testRefusesToOverwriteAnInput() throws {
        let input = scratchPath("a.png")
        try FileManager.default.copyItem(atPath: fixture("rgb8.png"), toPath: input)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        let image = Image(width: 1, height: 1, channels: 3, repeating: 0)
        let other = fixture("gray8.png")

        let hardLink = scratchPath("hard.png"), symbolicLink = scratchPath("soft.png")
        try FileManager.default.linkItem(atPath: input, toPath: hardLink)
        try FileManager.default.createSymbolicLink(atPath: symbolicLink, withDestinationPath: input)
        let spellings = [input, scratch.path + "/./a.png", scratch.path + "/missing/../a.png",
                         scratch.path + "//a.png", hardLink, symbolicLink]
        for destination in spellings {
            let error = expectError(.wouldOverwriteInput) {
                try image.writePNG(to: destination, protecting: [other, input])
            }
            XCTAssertEqual(error?.description,
                           "refusing to write '\(destination)': it is one of the inputs; choose another --output")
        }
        // A destination that does not exist yet is compared by path.
        let planned = scratchPath("planned.png")
        _ = expectError(.wouldOverwriteInput) { try image.writePNG(to: planned, protecting: [scratch.path + "/x/../planned.png"]) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: planned))

        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: input)), before)
        try image.writePNG(to: scratchPath("b.png"), protecting: [input, other])
        XCTAssertEqual(try Image.read(from: scratchPath("b.png")), image)
    }

    func testWriteIntoMissingDirectoryOrOntoADirectory() throws {
        let image = Image(width: 1, height: 1, channels: 1, repeating: 0)
        let directory = scratch.path + "/dir"
        let missing = expectError(.unwritable) { try image.writePNG(to: directory + "/out.png") }
        XCTAssertEqual(missing?.description, "cannot write '\(directory)/out.png': directory '\(directory)' does not exist")

        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let onto = expectError(.unwritable) { try image.writePNG(to: directory) }
        XCTAssertEqual(onto?.description, "cannot write '\(directory)': it is a directory; give a file name like 'out.png'")
    }

    // MARK: Image basics

    func testAccessorsAndGrayToRGB() {
        var image = Image(width: 3, height: 2, channels: 1) { _, x, y in Float(10 * y + x) }
        XCTAssertEqual(image.pixel(c: 0, x: 2, y: 1), 12)
        XCTAssertEqual(image[0, 1, 1], 11)
        image.setPixel(c: 0, x: 0, y: 1, 99)
        XCTAssertEqual(image.pixels, [0, 1, 2, 99, 11, 12])
        let rgb = image.rgb()
        XCTAssertEqual(rgb.channels, 3)
        for c in 0..<3 { XCTAssertEqual(Array(rgb.plane(c)), image.pixels) }
        XCTAssertEqual(rgb.rgb(), rgb)
        XCTAssertEqual(Image(width: 2, height: 1, channels: 1, pixels: [-3, 300]).clamped().pixels, [0, 255])
    }
}

