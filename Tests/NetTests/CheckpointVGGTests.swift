import Foundation
import Net
import XCTest

/// The real normalised VGG19 (legacy torch format, 80 MB) that `scripts/setup` downloads
/// into `$DOODLE_HOME` (default `~/.cache/doodle`).
/// Reference values were read with make_checkpoints.py's independent numpy reader:
///     python3 Tests/Fixtures/checkpoints/make_checkpoints.py --dump ~/.cache/doodle/vgg_normalised.pth
final class CheckpointVGGTests: XCTestCase {
    static var path: String {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["DOODLE_HOME"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache/doodle")
        return home + "/vgg_normalised.pth"
    }

    static let names = [
        "0.weight", "0.bias", "2.weight", "2.bias", "5.weight", "5.bias", "9.weight", "9.bias",
        "12.weight", "12.bias", "16.weight", "16.bias", "19.weight", "19.bias", "22.weight", "22.bias",
        "25.weight", "25.bias", "29.weight", "29.bias", "32.weight", "32.bias", "35.weight", "35.bias",
        "38.weight", "38.bias", "42.weight", "42.bias", "45.weight", "45.bias", "48.weight", "48.bias",
        "51.weight", "51.bias",
    ]

    func testLoadsNormalisedVGG19() throws {
        guard FileManager.default.fileExists(atPath: Self.path) else {
            return XCTFail("\(Self.path) is missing: run scripts/setup to download it")
        }
        // Best of two loads, to keep the timing meaningful on a busy machine.
        var best = Double.infinity
        var loaded: Checkpoint?
        for _ in 0 ..< 2 {
            let start = DispatchTime.now().uptimeNanoseconds
            loaded = try Checkpoint.load(path: Self.path)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let vgg = try XCTUnwrap(loaded)
        print("Checkpoint: loaded \(Self.path) in \(String(format: "%.3f", best)) s")
        XCTAssertLessThan(best, 1.0, "loading 80 MB must take under a second (release build)")

        XCTAssertEqual(vgg.format, .torchLegacy)
        XCTAssertEqual(vgg.tensors.map(\.name), Self.names)
        XCTAssertEqual(vgg["0.weight"]?.shape, [3, 3, 1, 1])
        XCTAssertEqual(vgg["0.bias"]?.shape, [3])
        XCTAssertEqual(vgg["2.weight"]?.shape, [64, 3, 3, 3])
        XCTAssertEqual(vgg["29.weight"]?.shape, [512, 256, 3, 3])
        XCTAssertEqual(vgg["51.weight"]?.shape, [512, 512, 3, 3])
        XCTAssertEqual(vgg["51.bias"]?.shape, [512])
        let total = vgg.tensors.reduce(0) { $0 + $1.tensor.count }
        XCTAssertEqual(total * 4 + 34 * 8, 80_102_481 - 4625)  // every stored byte after the pickles

        // The first layer is a fixed RGB → BGR swap scaled to 0...255, with the mean as bias.
        XCTAssertEqual(vgg["0.weight"]?.data, [0, 0, 255, 0, 255, 0, 255, 0, 0])
        XCTAssertEqual(vgg["0.bias"]?.data, [-103.939, -116.779, -123.68])

        let samples: [(String, Int, Float)] = [
            ("2.weight", 0, 0.017121484503149986), ("2.weight", 1, 0.017061106860637665),
            ("2.weight", 1000, -0.014034106396138668), ("2.weight", 1727, -0.014264573),
            ("2.bias", 0, 0.036640968173742294), ("29.weight", 654_321, 0.017582416534423828),
            ("51.weight", 0, -0.029788760468363762), ("51.weight", 2_359_295, -0.0053761364),
            ("51.bias", 0, 0.6558358669281006), ("51.bias", 511, 0.012156895),
        ]
        for (name, index, value) in samples {
            XCTAssertEqual(vgg[name]?.data[index], value, "\(name)[\(index)]")
        }
        let sums: [(String, Double)] = [
            ("2.weight", -0.14005323064998265), ("9.weight", -62.37655218779952),
            ("38.weight", -7634.8999247086085), ("51.weight", -23236.789559436846),
            ("51.bias", 69.73563564506185),
        ]
        for (name, expected) in sums {
            let sum = vgg[name]?.data.reduce(0.0) { $0 + Double($1) } ?? .nan
            XCTAssertEqual(sum, expected, accuracy: 1e-6 * max(1, abs(expected)), "sum of \(name)")
        }
    }
}
