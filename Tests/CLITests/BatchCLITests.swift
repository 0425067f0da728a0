import Foundation
import XCTest
import Doodle

/// Batches through the real binary: a globbed job file of label maps read through a palette,
/// run as two shards by two processes at once, the schedulers' variables, `run --list`, and
/// the mistakes that stop a batch before any work. Renders are tiny (48x48, one phase).
final class BatchCLITests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("doodle-batch-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    func write(_ text: String, to name: String) throws {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    /// A 48x48 style painted in two colours (left orange, right blue), its map, a palette
    /// naming both with label ids 1 and 2, and six single-channel label maps whose boundary
    /// moves down from map to map; the job file renders each.
    func writeBatch() throws {
        try FileManager.default.createDirectory(atPath: path("labels"), withIntermediateDirectories: true)
        let style = Image(width: 48, height: 48, channels: 3) { c, x, y in
            x < 24 ? [230, 120, 40][c] + Float((x * 7 + y * 5) % 20) : [40, 60, 200][c] + Float((x * 3 + y * 11) % 20)
        }
        let map = Image(width: 48, height: 48, channels: 3) { c, x, _ in x < 24 ? [255, 51, 31][c] : [0, 0, 255][c] }
        try style.writePNG(to: path("style.png"))
        try map.writePNG(to: path("style_sem.png"))
        for i in 0..<6 {
            let labels = Image(width: 48, height: 48, channels: 1) { _, _, y in y < 12 + i * 4 ? 1 : 2 }
            try labels.writePNG(to: path("labels/frame\(i).png"))
        }
        try write("warm: {color: \"#ff331f\", id: 1}\ncool: {color: \"#0000ff\", id: 2}\n", to: "classes.yaml")
        try write("""
            style: style.png
            palette: classes.yaml
            phases: 1
            iterations: 12
            jobs:
              - map: labels/*.png
                output: out/{name}.png

            """, to: "batch.yaml")
    }

    func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
        }
    }

    /// Starts `doodle` without waiting; `finish` collects its exit code and stdout.
    func start(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = try DoodleBinary.url()
        process.arguments = arguments
        process.currentDirectoryURL = scratch
        // The test machine may run inside a scheduler: its variables must not pick a share.
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLURM_") && $0.key != "JOB_COMPLETION_INDEX" }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    func finish(_ started: (Process, Pipe, Pipe)) -> DoodleBinary.Run {
        let stdout = started.1.fileHandleForReading.readDataToEndOfFile()
        let stderr = started.2.fileHandleForReading.readDataToEndOfFile()
        started.0.waitUntilExit()
        return DoodleBinary.Run(status: started.0.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                                stderr: String(decoding: stderr, as: UTF8.self))
    }

    func doodle(_ arguments: [String], environment: [String: String] = [:]) throws -> DoodleBinary.Run {
        let clean = ProcessInfo.processInfo.environment.filter { $0.key.hasPrefix("SLURM_") || $0.key == "JOB_COMPLETION_INDEX" }
            .mapValues { _ in "" }
        return try DoodleBinary.run(arguments, in: scratch, environment: clean.merging(environment) { $1 })
    }

    // MARK: -

    func testTwoShardsInTwoProcessesAtOnceRenderEveryJobOnceAndARerunSkipsThem() throws {
        try writeBatch()
        let check = try doodle(["check", "batch.yaml"])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertEqual(check.stdout, "batch.yaml: 6 jobs (labels/*.png: 6 files), valid\n")

        let first = try start(["run", "batch.yaml", "--shard", "1/2", "--json", "--no-score"])
        let second = try start(["run", "batch.yaml", "--shard", "2/2", "--json", "--no-score"])
        let runs = [finish(first), finish(second)]
        var rendered: [String] = []
        for (k, run) in runs.enumerated() {
            XCTAssertEqual(run.status, 0, run.stderr)
            let lines = try jsonLines(run.stdout)
            let shard = try XCTUnwrap(lines.first)
            XCTAssertEqual(shard["type"] as? String, "shard")
            XCTAssertEqual(shard["shard"] as? Int, k + 1)
            XCTAssertEqual(shard["shards"] as? Int, 2)
            XCTAssertEqual(shard["of"] as? Int, 6)
            let jobs = lines.filter { $0["type"] as? String == "job" }
            XCTAssertEqual(shard["jobs"] as? Int, jobs.count)
            XCTAssertTrue(jobs.allSatisfy { $0["status"] as? String == "done" }, run.stdout)
            rendered += jobs.compactMap { $0["name"] as? String }
        }
        XCTAssertEqual(rendered.sorted(), (0..<6).map { "frame\($0)" }, "every job exactly once across the two shards")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: path("out")).filter { $0.hasSuffix(".lock") || $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [], "no lock or temporary file left behind")

        // Each output has the painting's two colour families where its label map says.
        for i in 0..<6 {
            let image = try Image.read(from: path("out/frame\(i).png"))
            let boundary = 12 + i * 4
            func meanRedMinusBlue(_ rows: Range<Int>) -> Float {
                var sum: Float = 0
                for y in rows { for x in 0..<48 { sum += image.pixels[y * 48 + x] - image.pixels[2 * 48 * 48 + y * 48 + x] } }
                return sum / Float(rows.count * 48)
            }
            let (warm, cool) = (meanRedMinusBlue(0..<(boundary - 2)), meanRedMinusBlue((boundary + 2)..<48))
            XCTAssertGreaterThan(warm - cool, 30, "frame\(i): label 1 (warm) above, label 2 (cool) below")
        }

        let rerun = try doodle(["run", "batch.yaml", "--json", "--no-score"])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        let summary = try XCTUnwrap(try jsonLines(rerun.stdout).last)
        XCTAssertEqual(summary["skipped"] as? Int, 6, rerun.stdout)
        XCTAssertEqual(summary["done"] as? Int, 0)
    }

    func testSlurmAndKubernetesVariablesTakeTheSameShareAsTheFlag() throws {
        try writeBatch()
        func names(_ arguments: [String], _ environment: [String: String] = [:]) throws -> [String] {
            let run = try doodle(["run", "--list", "--json", "batch.yaml"] + arguments, environment: environment)
            XCTAssertEqual(run.status, 0, run.stderr)
            return try jsonLines(run.stdout).filter { $0["type"] as? String == "job" }.compactMap { $0["name"] as? String }
        }
        for k in 1...3 {
            let byFlag = try names(["--shard", "\(k)/3"])
            XCTAssertEqual(try names([], ["SLURM_ARRAY_TASK_ID": "\(k - 1)", "SLURM_ARRAY_TASK_COUNT": "3"]), byFlag, "Slurm, shard \(k)")
            XCTAssertEqual(try names([], ["SLURM_ARRAY_TASK_ID": "\(k + 4)", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_MAX": "7"]), byFlag)
            XCTAssertEqual(try names(["--shards", "3"], ["JOB_COMPLETION_INDEX": "\(k - 1)"]), byFlag, "Kubernetes, shard \(k)")
        }
        XCTAssertEqual(try names([]).count, 6)
        XCTAssertEqual(Set(try (1...3).flatMap { try names(["--shard", "\($0)/3"]) }).count, 6)

        let run = try doodle(["run", "--list", "batch.yaml"], environment: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"])
        XCTAssertTrue(run.stdout.hasPrefix("shard 2/2 (SLURM_ARRAY_TASK_ID=1, SLURM_ARRAY_TASK_COUNT=2): "), run.stdout)
        XCTAssertTrue(run.stdout.contains("  to render, peak memory about "), run.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out")), "--list renders nothing")
    }

    func testBatchMistakesStopBeforeAnyWorkWithOneLine() throws {
        try writeBatch()
        let job = try String(contentsOfFile: path("batch.yaml"), encoding: .utf8)
        try write(job.replacingOccurrences(of: "labels/*.png", with: "labels/*.jpg"), to: "nomatch.yaml")
        try write(job.replacingOccurrences(of: "out/{name}.png", with: "out/all.png"), to: "overwrite.yaml")
        try write("warm: {color: \"#ff331f\", id: 1}\ncool: \"#FF331F\"\n", to: "twice.yaml")
        try write(job.replacingOccurrences(of: "classes.yaml", with: "twice.yaml"), to: "badpalette.yaml")
        let cases: [([String], String)] = [
            (["run", "nomatch.yaml"], "doodle: nomatch.yaml:6: map 'labels/*.jpg' matches no file"),
            (["run", "overwrite.yaml"], "doodle: overwrite.yaml:7: output 'out/all.png' would be written by each of the 6 files 'labels/*.png' matches; put {name} in it, e.g. output: out/{name}.png"),
            (["run", "badpalette.yaml"], "doodle: twice.yaml:2: class 'cool': colour #ff331f is also class 'warm's; give each class its own colour"),
            (["run", "batch.yaml", "--shard", "3/2"], "doodle: --shard '3/2': K counts from 1 to N (2); e.g. 1/2 ... 2/2"),
            (["run", "batch.yaml", "--shard", "0/0"], "doodle: --shard '0/0': N must be at least 1"),
            (["check", "nomatch.yaml"], "nomatch.yaml:6: map 'labels/*.jpg' matches no file"),
        ]
        for (arguments, line) in cases {
            let run = try doodle(arguments)
            XCTAssertEqual(run.status, 2, arguments.joined(separator: " "))
            XCTAssertEqual(run.stderr, line + "\n", arguments.joined(separator: " "))
            XCTAssertEqual(run.stdout, "")
        }
        let run = try doodle(["run", "batch.yaml"], environment: ["JOB_COMPLETION_INDEX": "1"])
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stderr, "doodle: JOB_COMPLETION_INDEX=1 is set: give the number of shards (the Job's completions) with --shards N or DOODLE_SHARDS\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out")), "nothing written")

        // A map with a label the palette lacks: the job fails naming map, value and palette.
        let stray = Image(width: 48, height: 48, channels: 1) { _, x, y in y < 20 ? 1 : (x < 12 ? 9 : 2) }
        try stray.writePNG(to: path("labels/frame5.png"))
        let inspect = try doodle(["map", "inspect", "--palette", "classes.yaml", "labels/frame0.png", "labels/frame5.png"])
        XCTAssertEqual(inspect.status, 2)
        XCTAssertEqual(inspect.stderr, "doodle: not in the palette 'classes.yaml': 'labels/frame5.png': value 9 (14.6%); add them to the palette or repaint the maps\n")
        XCTAssertTrue(inspect.stdout.contains("labels/frame0.png  48x48\n  warm   25.0%  #ff331f, id 1\n  cool   75.0%  #0000ff, id 2\n"), inspect.stdout)
        XCTAssertTrue(inspect.stdout.contains("  NOT IN PALETTE value 9  14.6%\n"), inspect.stdout)
        let checked = try doodle(["check", "batch.yaml"])
        XCTAssertEqual(checked.status, 2)
        XCTAssertEqual(checked.stderr, "batch.yaml:2: job 'frame5': 'labels/frame5.png' has a label value not in the palette 'classes.yaml': value 9 (14.6%); add it to the palette or repaint the map\n")
    }

    /// A second process reaching a job another one renders leaves it (status busy).
    func testALockedOutputIsLeftToItsHolder() throws {
        try writeBatch()
        try FileManager.default.createDirectory(atPath: path("out"), withIntermediateDirectories: true)
        // A live holder: this test process, on this host.
        guard case .acquired(let lock) = try OutputLock.acquire(for: path("out/frame0.png")) else { return XCTFail("claim") }
        defer { lock.release() }
        let run = try doodle(["run", "batch.yaml", "--only", "frame0,frame1", "--no-score"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("[1/2] frame0: being rendered by pid \(getpid()) on "), run.stdout)
        XCTAssertTrue(run.stdout.contains("[2/2] frame1: done in "), run.stdout)
        XCTAssertTrue(run.stdout.contains("2 jobs: 1 done, 0 skipped, 0 failed, 1 busy in another process"), run.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out/frame0.png")))
        let list = try doodle(["run", "--list", "batch.yaml", "--only", "frame0"])
        XCTAssertTrue(list.stdout.contains("  being rendered by pid \(getpid())"), list.stdout)
    }
}
