import Foundation
import XCTest

/// `doodle bench match` through the real binary, on the project's samples at small sizes:
/// the JSON has every matcher, exact is its own reference, and PatchMatch's matches are close
/// to exact's on the same features. Speed is not asserted (this machine is shared); the
/// command reports it.
final class BenchCLITests: XCTestCase {
    func sample(_ name: String) -> String { DoodleBinary.packageRoot.appendingPathComponent("samples/" + name).path }

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

    func testMatchBenchRejectsZeroSeeds() throws {
        let run = try DoodleBinary.run(["bench", "match", "--seeds", "0"], in: DoodleBinary.packageRoot)
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("--seeds"), run.stderr)
    }
}
