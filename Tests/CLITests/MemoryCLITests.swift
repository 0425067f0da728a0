import Foundation
import XCTest
import Doodle

/// Memory: the style scaled to what the result needs, the estimate against the real peak of
/// the real binary, `--dry-run` and `--max-memory`.
final class MemoryCLITests: XCTestCase {
    var scratch: URL!
    let samples = DoodleBinary.packageRoot.appendingPathComponent("samples").path

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("doodle-memory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    /// Renders and returns the exit status and the peak resident memory the render's last line
    /// reports (`VmHWM` of its own process: a child's `ru_maxrss` would count the test
    /// process's memory it was spawned from).
    func peakOfRun(_ arguments: [String]) throws -> (status: Int32, peakBytes: Int) {
        let run = try DoodleBinary.run(arguments, in: scratch)
        let last = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard let range = last.range(of: "; peak memory ") else {
            XCTFail("no peak memory in: \(last)")
            return (run.status, 0)
        }
        let words = last[range.upperBound...].split(separator: " ")
        guard words.count >= 2, let value = Double(words[0]) else { return (run.status, 0) }
        let bytes = value * (words[1] == "GB" ? 1_073_741_824 : 1_048_576)
        return (run.status, Int(bytes))
    }

    func job(_ preset: [PresetKey: PresetValue]) throws -> ResolvedJob {
        var p = Preset()
        for (key, value) in preset { p[key] = value }
        return try RenderJob(name: "memory", preset: p).resolve()
    }

    /// The estimate is within 25% of the measured peak at two sizes, for both losses.
    func testTheEstimateIsWithinAQuarterOfTheMeasuredPeak() throws {
        // Address sanitizer's shadow memory and redzones nearly double the peaks (555 MB for
        // the 128x96 render): the estimate is for the build users run.
        if ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil {
            throw XCTSkip("peaks under address sanitizer are not what the estimate is for")
        }
        let cases: [(String, String)] = [("patch", "128x96"), ("patch", "384x288"), ("gram", "384x288")]
        for (loss, size) in cases {
            let arguments = ["--style", "\(samples)/monet.jpg", "--map", "\(samples)/coast_sem.png", "--output-size", size,
                             "--phases", "1", "--style-loss", loss, "--output", path("\(loss)-\(size).png")]
            let parts = size.split(separator: "x").map { Int($0)! }
            let resolved = try job([.style: .path("\(samples)/monet.jpg"), .map: .path("\(samples)/coast_sem.png"),
                                    .outputSize: .size(width: parts[0], height: parts[1]), .phases: .integer(1),
                                    PresetKey("style-loss"): .text(loss), .output: .path(path("\(loss)-\(size).png"))])
            let estimate = resolved.memoryEstimate.peak
            let run = try peakOfRun(["render"] + arguments + ["--iterations", "2"])
            XCTAssertEqual(run.status, 0, "\(loss) \(size)")
            let error = Double(estimate - run.peakBytes) / Double(run.peakBytes)
            print("memory \(loss) \(size): estimate \(estimate >> 20) MB, measured peak \(run.peakBytes >> 20) MB (\(Int(error * 100))%)")
            XCTAssertLessThan(abs(error), 0.25, "\(loss) \(size): estimate \(estimate >> 20) MB, peak \(run.peakBytes >> 20) MB")
        }
    }

    func testDryRunPrintsThePlanAndMaxMemoryRefusesWithTheSizeThatFits() throws {
        let arguments = ["render", "--style", "\(samples)/monet.jpg", "--map", "\(samples)/coast_sem.png",
                         "--output-size", "256x192", "--output", path("out.png")]
        let dry = try DoodleBinary.run(arguments + ["--dry-run"], in: scratch)
        XCTAssertEqual(dry.status, 0, dry.stderr)
        let lines = dry.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 5, dry.stdout)
        XCTAssertEqual(lines[0], "doodle to artwork: 256x192, 3 phases x 100,100,50 iterations")
        // 256x192 has a quarter of the style's area: the style is used at full size.
        XCTAssertTrue(lines[1].hasPrefix("phase 1/3: 64x48, style 128x96, about "), lines[1])
        XCTAssertTrue(lines[3].hasPrefix("phase 3/3: 256x192, style 512x384, about "), lines[3])
        XCTAssertTrue(lines[4].hasPrefix("peak memory about "), lines[4])
        XCTAssertTrue(lines[4].hasSuffix("; nothing rendered (--dry-run)"), lines[4])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.png")))

        // A smaller result: the style shrinks to 4 times its area.
        let small = try DoodleBinary.run(["render", "--style", "\(samples)/monet.jpg", "--map", "\(samples)/coast_sem.png",
                                          "--output-size", "128x96", "--phases", "1", "--output", path("out.png"), "--dry-run"], in: scratch)
        XCTAssertTrue(small.stdout.contains("phase 1/1: 128x96, style 256x192, about "), small.stdout)
        let kept = try DoodleBinary.run(["render", "--style", "\(samples)/monet.jpg", "--map", "\(samples)/coast_sem.png",
                                         "--output-size", "128x96", "--phases", "1", "--style-scale", "1",
                                         "--output", path("out.png"), "--dry-run"], in: scratch)
        XCTAssertTrue(kept.stdout.contains("phase 1/1: 128x96, style 512x384, about "), kept.stdout)

        let refused = try DoodleBinary.run(arguments + ["--max-memory", "400MB"], in: scratch)
        XCTAssertEqual(refused.status, 2)
        let resolved = try job([.style: .path("\(samples)/monet.jpg"), .map: .path("\(samples)/coast_sem.png"),
                                .outputSize: .size(width: 256, height: 192), .output: .path(path("out.png"))])
        let fits = try XCTUnwrap(MemoryEstimate.largestFitting(resolved.inputs, resolved.settings, limit: 400 << 20))
        XCTAssertEqual(refused.stderr, "doodle: a 256x192 result needs about \(SystemMemory.text(resolved.memoryEstimate.peak)) at its peak, more than --max-memory 400 MB; the largest of this shape that fits is --output-size \(fits.width)x\(fits.height)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.png")), "refused before any work")
        XCTAssertLessThan(fits.width, 256)

        // The size it names fits (the estimate, with the style shrinking along).
        var smaller = resolved.inputs
        smaller.outputSize = (fits.width, fits.height)
        XCTAssertLessThanOrEqual(MemoryEstimate.of(smaller, resolved.settings).peak, 400 << 20)
        smaller.outputSize = (fits.width + 8, fits.height + 6)
        XCTAssertGreaterThan(MemoryEstimate.of(smaller, resolved.settings).peak, 400 << 20)

        let bad = try DoodleBinary.run(arguments + ["--max-memory", "lots"], in: scratch)
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.stderr, "doodle: --max-memory 'lots': give a size like 2GB or 512MB\n")
        let tiny = try DoodleBinary.run(arguments + ["--max-memory", "50MB"], in: scratch)
        XCTAssertEqual(tiny.status, 2)
        XCTAssertTrue(tiny.stderr.hasSuffix("more than --max-memory 50 MB; not even the smallest result of this shape fits\n"), tiny.stderr)
    }

    func testSizesAndStyleFactors() {
        XCTAssertEqual(SystemMemory.parseSize("2GB"), 2 << 30)
        XCTAssertEqual(SystemMemory.parseSize("512MB"), 512 << 20)
        XCTAssertEqual(SystemMemory.parseSize("1.5g"), 3 << 29)
        XCTAssertEqual(SystemMemory.parseSize("800 M"), 800 << 20)
        XCTAssertNil(SystemMemory.parseSize("0GB"))
        XCTAssertNil(SystemMemory.parseSize("2TB"))
        XCTAssertNil(SystemMemory.parseSize("-1GB"))
        XCTAssertNotNil(SystemMemory.availableBytes())

        var settings = RenderSettings()
        XCTAssertEqual(settings.styleFactor(style: (512, 384), output: (512, 384)), 1)
        XCTAssertEqual(settings.styleFactor(style: (512, 384), output: (256, 192)), 1, "exactly 4 times the area")
        XCTAssertEqual(settings.styleFactor(style: (4000, 3000), output: (512, 384)), 0.256, accuracy: 1e-9)
        settings.styleScale = 1.5
        XCTAssertEqual(settings.styleFactor(style: (4000, 3000), output: (512, 384)), 1.5)
    }
}
