import Foundation
import XCTest
import Doodle

/// Resume: an interrupted render leaves its state beside the output, `--resume` (and
/// `doodle run`) go on from it and end where an uninterrupted render ends; a state of other
/// inputs or settings is refused; the state reader takes no broken file.
final class ResumeCLITests: XCTestCase {
    var scratch: URL!
    let samples = DoodleBinary.packageRoot.appendingPathComponent("samples").path

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("doodle-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    func doodle(_ arguments: [String]) throws -> DoodleBinary.Run {
        try DoodleBinary.run(arguments, in: scratch)
    }

    func interrupted(_ arguments: [String], after marker: String, signal: Int32 = SIGINT) throws -> (status: Int32, output: String) {
        try DoodleBinary.interrupted(arguments, in: scratch, after: marker, signal: signal)
    }

    /// `doodle score`'s class fractions at conv3_1 and conv4_1.
    func classScores(_ output: String) throws -> [Double] {
        let run = try doodle(["score", output, "--style", "\(samples)/monet.jpg", "--style-map", "\(samples)/monet_sem.png",
                              "--map", "\(samples)/coast_sem.png"])
        XCTAssertEqual(run.status, 0, run.stderr)
        return run.stdout.split(separator: "\n").compactMap { line -> Double? in
            let parts = line.split(separator: " ")
            guard parts.count >= 2, parts[0] == "conv3_1" || parts[0] == "conv4_1" else { return nil }
            return Double(parts[1])
        }
    }

    func testAnInterruptedRenderResumesAndEndsAsAnUninterruptedOne() throws {
        let render = ["render", "--style", "\(samples)/monet.jpg", "--map", "\(samples)/coast_sem.png", "--output-size", "128x96",
                      "--phases", "2", "--iterations", "30", "--print-every", "1"]
        let whole = try doodle(render + ["--output", "whole.png"])
        XCTAssertEqual(whole.status, 0, whole.stderr)

        // SIGTERM (what a scheduler sends) in the second phase.
        let (status, output) = try interrupted(render + ["--output", "resumed.png"], after: "phase 2/2  iter 4/", signal: SIGTERM)
        XCTAssertEqual(status, 130, output)
        XCTAssertTrue(output.contains("interrupted in phase 2/2 at iteration "), output)
        XCTAssertTrue(output.contains("; its state is in resumed.png.doodle-state: the same command with --resume (or doodle run) goes on from there"), output)
        let state = try XCTUnwrap(try ResumeState.read(for: path("resumed.png")))
        XCTAssertEqual(state.point.phase, 1)
        XCTAssertEqual(state.point.phases, 2)
        XCTAssertGreaterThanOrEqual(state.point.iteration, 4)
        XCTAssertEqual([state.point.image.width, state.point.image.height], [128, 96])

        // Other settings: refused, nothing changed.
        let other = try doodle(render + ["--output", "resumed.png", "--resume", "--smoothness", "2"])
        XCTAssertEqual(other.status, 2)
        XCTAssertEqual(other.stderr, "doodle: resumed.png.doodle-state was left by a render of other inputs or settings: give the flags it was started with, or render without --resume (which replaces it)\n")
        XCTAssertNotNil(try ResumeState.read(for: path("resumed.png")))

        let resumed = try doodle(render + ["--output", "resumed.png", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("resuming from resumed.png.doodle-state: phase 2/2, after iteration \(state.point.iteration)\n"), resumed.stdout)
        XCTAssertFalse(resumed.stdout.contains("phase 1/2:"), "the finished phase is not run again")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("resumed.png.doodle-state")), "a finished render removes its state")

        // At this size two random seeds' scores differ by up to 0.02 (0.786/0.821, 0.805/0.829,
        // 0.800/0.843 for seeds 1-3): the resumed render is held to that. At the default 512x384
        // it was within 0.001 (README, "Usage").
        let (a, b) = (try classScores("whole.png"), try classScores("resumed.png"))
        XCTAssertEqual(a.count, 2)
        XCTAssertEqual(b.count, 2)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 0.025, "uninterrupted \(a), resumed \(b)") }

        // Nothing to resume: a note, and a render from the start.
        let fresh = try doodle(render + ["--output", "fresh.png", "--resume", "--iterations", "2"])
        XCTAssertEqual(fresh.status, 0, fresh.stderr)
        XCTAssertTrue(fresh.stdout.hasPrefix("note: no fresh.png.doodle-state to resume from: rendering from the start\n"), fresh.stdout)
    }

    func testRunResumesAnInterruptedJob() throws {
        try """
            style: \(samples)/monet.jpg
            map: \(samples)/coast_sem.png
            output-size: 96x72
            phases: 1
            iterations: 40
            print-every: 1
            output: out.png

            """.write(toFile: path("job.yaml"), atomically: true, encoding: .utf8)
        let (status, output) = try interrupted(["run", "job.yaml"], after: "iter 5/")
        XCTAssertEqual(status, 130, output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("out.png.doodle-state")), output)
        let run = try doodle(["run", "job.yaml"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("resuming from out.png.doodle-state: phase 1/1, after iteration "), run.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.png.doodle-state")))
        XCTAssertEqual(try doodle(["run", "job.yaml", "--json"]).stdout.contains("\"status\":\"skipped\""), true)
    }

    /// The state reader takes no broken file: every truncation and thousands of byte changes of
    /// a real state either read back or fail with one line naming the file; none crashes.
    func testTheStateReaderRejectsEveryBrokenFile() throws {
        let image = Image(width: 6, height: 4, channels: 3) { c, x, y in Float(x * 20 + y * 7 + c) }
        let fingerprint = String(repeating: "ab", count: 32)
        let state = ResumeState(fingerprint: fingerprint, point: ResumePoint(phase: 1, phases: 3, iteration: 17, image: image,
                                                                             matches: [[0, 5, 3, 2], [1]]))
        let bytes = [UInt8](try state.encoded())
        let back = try ResumeState.decode(Data(bytes), name: "s")
        XCTAssertEqual(back.fingerprint, fingerprint)
        XCTAssertEqual([back.point.phase, back.point.phases, back.point.iteration], [1, 3, 17])
        XCTAssertTrue(back.point.image == image)
        XCTAssertEqual(back.point.matches, [[0, 5, 3, 2], [1]])

        var rejected = 0, accepted = 0
        func attempt(_ data: [UInt8]) {
            do {
                _ = try ResumeState.decode(Data(data), name: "s.doodle-state")
                accepted += 1
            } catch let error as ResumeState.ReadError {
                XCTAssertTrue(error.description.hasPrefix("'s.doodle-state' is not a doodle state file ("), error.description)
                XCTAssertFalse(error.description.contains("\n"))
                rejected += 1
            } catch {
                XCTFail("unexpected \(error)")
            }
        }
        for length in 0..<bytes.count { attempt(Array(bytes[0..<length])) }
        XCTAssertEqual(accepted, 0, "no truncation reads")
        var seeded = UInt64(12345)
        func next() -> UInt64 { seeded = seeded &* 6364136223846793005 &+ 1442695040888963407; return seeded >> 33 }
        for _ in 0..<4000 {
            var mutated = bytes
            for _ in 0..<(1 + Int(next() % 4)) {
                mutated[Int(next() % UInt64(mutated.count))] = UInt8(next() % 256)
            }
            attempt(mutated)
        }
        XCTAssertGreaterThan(rejected, 1000)

        // Written by hand: impossible phases and sizes, samples past the pixel range.
        func crafted(_ header: String, samples: [Float]) -> Data {
            var data = Data("doodle-state 1\n\(header)\n".utf8)
            for v in samples { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            return data
        }
        func header(phase: Int = 0, phases: Int = 1, width: Int = 1, height: Int = 1) -> String {
            "{\"fingerprint\":\"\(fingerprint)\",\"phase\":\(phase),\"phases\":\(phases),\"iteration\":0,\"width\":\(width),\"height\":\(height),\"matches\":[]}"
        }
        XCTAssertNoThrow(try ResumeState.decode(crafted(header(), samples: [1, 2, 3]), name: "s"))
        for (label, data) in [("phase 1 of 1", crafted(header(phase: 1), samples: [1, 2, 3])),
                              ("0 phases", crafted(header(phases: 0), samples: [1, 2, 3])),
                              ("width 900000", crafted(header(width: 900_000), samples: [1, 2, 3])),
                              ("a NaN", crafted(header(), samples: [1, .nan, 3])),
                              ("300", crafted(header(), samples: [1, 300, 3])),
                              ("one sample too many", crafted(header(), samples: [1, 2, 3, 4]))] {
            XCTAssertThrowsError(try ResumeState.decode(data, name: "s"), label)
        }
    }
}
