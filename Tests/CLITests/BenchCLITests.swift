import Foundation
import XCTest

/// `doodle bench match` through the real binary, on the project's samples at small sizes:
/// the JSON has every matcher, exact is its own reference, and PatchMatch's matches are close
/// to exact's on the same features. Speed is not asserted (this machine is shared); the
/// command reports it.
final class BenchCLITests: XCTestCase {
    func sample(_ name: String) -> String { DoodleBinary.packageRoot.appendingPathComponent("samples/" + name).path }

    /// The kernels the unit tests no longer time: each measured, the dot product against its
    /// plain loop, the CPU named.
    func testKernelBenchJSON() throws {
        let run = try DoodleBinary.run(["bench", "kernels", "--runs", "1", "--map", sample("coast_sem.png"),
                                        "--hash", sample("coast_sem.png"), "--json"], in: DoodleBinary.packageRoot)
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout)
        XCTAssertNotNil((json["cpu"] as? [String: Any])?["model"], "the CPU is named")
        let measures = try XCTUnwrap(json["measures"] as? [[String: Any]])
        XCTAssertEqual(measures.compactMap { $0["name"] as? String },
                       ["patch dot", "patch dot, scattered", "downscale 512x384 -> 256x192", "downscale 512x384 -> 301x227", "upscale 256x192 -> 512x384",
                        "resize 512x384 -> 700x200", "sha256 file", "map detection",
                        "winograd 128->128 256x192", "winograd adjoint 128->128 256x192",
                        "winograd 256->256 128x96", "winograd adjoint 256->256 128x96"])
        for m in measures { XCTAssertGreaterThan(try XCTUnwrap(m["milliseconds"] as? Double), 0) }
        XCTAssertGreaterThan(try XCTUnwrap(measures[0]["speedup"] as? Double), 0)
        XCTAssertTrue((measures[1]["detail"] as? String)?.contains("sse2") == true, "the kernel and its baseline are named")
        XCTAssertTrue((measures[7]["detail"] as? String)?.contains("classes") == true)
        XCTAssertTrue((measures[8]["detail"] as? String)?.contains("direct-equivalent GFLOP/s") == true)
    }

    func testMatchBenchJSON() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("doodle-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // 192x144: conv3_1 has 46x34 patches a side, past the size PatchMatch hands to exact matching.
        let run = try DoodleBinary.run(["bench", "match", "--style", sample("monet.jpg"), "--style-map", sample("monet_sem.png"),
                                        "--map", sample("coast_sem.png"), "--size", "192x144", "--runs", "2",
                                        "--synthesis-size", "96x72", "--iterations", "3", "--seeds", "2", "--seed", "5",
                                        "--json"], in: scratch)
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout)
        XCTAssertEqual(json["seeds"] as? Int, 2)

        let layers = try XCTUnwrap(json["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.map { $0["layer"] as? String }, ["conv3_1", "conv4_1"])
        let conv3 = layers[0]
        XCTAssertEqual(conv3["targetPatches"] as? Int, 46 * 34)
        let matchers = try XCTUnwrap(conv3["matchers"] as? [[String: Any]])
        XCTAssertEqual(matchers.map { $0["matcher"] as? String }, ["exact", "classes", "patchmatch"])
        let exact = matchers[0], patchMatch = matchers[2]
        XCTAssertEqual(exact["speedup"] as? Double, 1)
        XCTAssertEqual(exact["scoreGap"] as? Double, 0)
        // PatchMatch really searched (it did not fall back to exact) and came close.
        XCTAssertGreaterThan(try XCTUnwrap(patchMatch["sweeps"] as? Int), 0)
        let gap = try XCTUnwrap(patchMatch["scoreGap"] as? Double)
        XCTAssertGreaterThanOrEqual(gap, -1e-6, "exact is the best possible")
        XCTAssertLessThan(gap, 0.01, "warm calls after an exact start within classes")
        // The search from random matches on its own, through the same calls.
        let searchGap = try XCTUnwrap(patchMatch["randomStartScoreGap"] as? Double)
        XCTAssertGreaterThanOrEqual(searchGap, -1e-6)
        XCTAssertLessThan(searchGap, 0.03)
        XCTAssertNil(exact["randomStartScoreGap"] as? Double)
        XCTAssertGreaterThan(try XCTUnwrap(patchMatch["sameClassFraction"] as? Double), 0.95)

        let synthesis = try XCTUnwrap(json["synthesis"] as? [[String: Any]])
        XCTAssertEqual(synthesis.map { $0["matcher"] as? String }, ["exact", "classes", "patchmatch"])
        for result in synthesis {
            let runs = try XCTUnwrap(result["runs"] as? [[String: Any]])
            XCTAssertEqual(runs.map { $0["seed"] as? Int }, [5, 6])
            for r in runs {
                XCTAssertEqual(r["evaluations"] as? Int, 3)
                XCTAssertGreaterThan(try XCTUnwrap(r["rematchedStyleLoss"] as? Double), 0)
                let fractions = try XCTUnwrap(r["scoreFractions"] as? [String: Double])
                for value in fractions.values { XCTAssertTrue((0...1).contains(value)) }
            }
        }
        // Exact against itself: no gap, no score difference.
        XCTAssertEqual(synthesis[0]["rematchedGap"] as? Double, 0)
        let selfDifference = try XCTUnwrap(synthesis[0]["scoreDifference"] as? [String: Double])
        XCTAssertEqual(Set(selfDifference.values), [0])
        // The two seeds start from different noise.
        let seeds = try XCTUnwrap(synthesis[0]["runs"] as? [[String: Any]])
        XCTAssertNotEqual(seeds[0]["rematchedStyleLoss"] as? Double, seeds[1]["rematchedStyleLoss"] as? Double)
    }

    /// `bench net`: every layer to conv4_1 with its oneDNN kernel, the CPU, the peak convolution
    /// and the ratio; no generic kernel on an x86 CPU with AVX2 or better.
    func testNetBenchJSON() throws {
        let run = try DoodleBinary.run(["bench", "net", "--size", "64x48", "--layer", "4_1", "--runs", "1", "--json"],
                                       in: DoodleBinary.packageRoot)
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout)
        XCTAssertEqual(json["implementation"] as? String, "onednn")
        XCTAssertTrue(["fp32", "bf16"].contains(json["precision"] as? String ?? ""), "\(json["precision"] ?? "nil")")
        let layers = try XCTUnwrap(json["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.map { $0["layer"] as? String },
                       ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3", "conv3_4", "conv4_1"])
        for layer in layers {
            for key in ["forwardKernel", "backwardKernel"] {
                let kernel = try XCTUnwrap(layer[key] as? String)
                XCTAssertFalse(kernel.isEmpty || kernel.hasPrefix("ref"), "\(layer["layer"]!) \(key): \(kernel)")
            }
            XCTAssertGreaterThan(layer["forwardSeconds"] as? Double ?? 0, 0)
        }
        // Multiply-adds x2 of the nine convolutions at their sizes, forward and backward.
        let convolutions: [(cin: Int, cout: Int, stride: Int)] = [(3, 64, 1), (64, 64, 1), (64, 128, 2), (128, 128, 2),
                                                                  (128, 256, 4), (256, 256, 4), (256, 256, 4), (256, 256, 4), (256, 512, 8)]
        let flop = convolutions.reduce(0.0) { $0 + 2 * 2 * 9 * Double($1.cin * $1.cout * (48 / $1.stride) * (64 / $1.stride)) }
        XCTAssertEqual(json["gflop"] as? Double ?? 0, flop / 1e9, accuracy: 1e-9)
        let peak = try XCTUnwrap(json["peak"] as? [String: Any])
        XCTAssertGreaterThan(peak["gflops"] as? Double ?? 0, 0)
        XCTAssertFalse((peak["kernel"] as? String ?? "ref").hasPrefix("ref"))
        XCTAssertGreaterThan(json["peakRatio"] as? Double ?? 0, 0)
        let cpu = try XCTUnwrap(json["cpu"] as? [String: Any])
        XCTAssertFalse((cpu["model"] as? String ?? "").isEmpty)
        XCTAssertTrue((cpu["flags"] as? [String] ?? []).contains("avx2"), "this project's machines have AVX2")
        XCTAssertEqual(json["warnings"] as? [String], [])
    }

    /// bf16 where oneDNN has no native bf16 kernels is the user's to change: one line, exit 2.
    func testPrecisionThisCPUCannotRunIsRefused() throws {
        let probe = try DoodleBinary.run(["bench", "net", "--size", "32x32", "--layer", "1_1", "--runs", "1", "--json"],
                                         in: DoodleBinary.packageRoot)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(probe.stdout.utf8)) as? [String: Any], probe.stdout)
        let flags = (json["cpu"] as? [String: Any])?["flags"] as? [String] ?? []
        try XCTSkipIf(flags.contains("avx512_bf16") || flags.contains("avx512f"), "this CPU may have bf16 kernels")
        let run = try DoodleBinary.run(["render", "--style", sample("monet.jpg"), "--map", sample("coast_sem.png"),
                                        "--output", "/tmp/never-\(UUID().uuidString).png", "--precision", "bf16"],
                                       in: DoodleBinary.packageRoot)
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("--precision bf16") && run.stderr.contains("use auto or fp32"), run.stderr)
    }

    func testMatchBenchRejectsZeroSeeds() throws {
        let run = try DoodleBinary.run(["bench", "match", "--seeds", "0"], in: DoodleBinary.packageRoot)
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("--seeds"), run.stderr)
    }
}
