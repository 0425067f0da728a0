import Foundation
import XCTest
import Doodle

/// Batches without rendering: globs in job files, shards, the schedulers' variables, output
/// locks and class palettes.
final class BatchTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("doodle-batch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    func touch(_ names: [String]) throws {
        for name in names {
            try FileManager.default.createDirectory(atPath: PresetPaths.directory(of: path(name)), withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: path(name), contents: Data([0]))
        }
    }

    func load(_ yaml: String) throws -> JobFile {
        try JobFile.parse(yaml: yaml, path: path("jobs.yaml"))
    }

    func issues(_ yaml: String) -> [String] {
        do {
            _ = try load(yaml)
            return []
        } catch let error as PresetError {
            return error.issues.map { $0.description.replacingOccurrences(of: scratch.path + "/", with: "") }
        } catch {
            return ["\(error)"]
        }
    }

    // MARK: - Globs

    func testAGlobIsOneJobPerFileInSortedOrderWithItsNameInTheOtherPaths() throws {
        try touch(["maps/b.png", "maps/a.png", "maps/c10.png", "maps/c9.png", "maps/notes.txt", "style.png"])
        try FileManager.default.createDirectory(atPath: path("maps/folder.png"), withIntermediateDirectories: true)
        let file = try load("""
            style: style.png
            jobs:
              - map: maps/*.png
                output: out/{name}-{index}.png
                frames: frames/{name}
              - map: maps/a.png
                output: single.png
            """)
        XCTAssertEqual(file.jobs.map(\.name), ["a-1", "b-2", "c10-3", "c9-4", "single"])
        XCTAssertEqual(file.jobs.map { $0.preset.map! }, ["maps/a.png", "maps/b.png", "maps/c10.png", "maps/c9.png", "maps/a.png"].map(path))
        XCTAssertEqual(file.jobs[1].preset.output, path("out/b-2.png"))
        XCTAssertEqual(file.jobs[1].preset.frames, path("frames/b"))
        XCTAssertEqual(file.globs, [JobGlob(pattern: path("maps/*.png"), files: 4)])
        // Sources stay the glob's line, for messages about an expanded job.
        XCTAssertEqual(file.jobs[2].preset.sources[.map]?.line, 3)
    }

    func testContentGlobNamesItsMapsAndAnExplicitNameKeepsEachJobApart() throws {
        try touch(["frames/f1.jpg", "frames/f2.jpg", "style.png"])
        let file = try load("""
            style: style.png
            jobs:
              - name: clip
                content: frames/f*.jpg
                map: maps/{name}_sem.png
                output: out/{name}.png
            """)
        XCTAssertEqual(file.jobs.map(\.name), ["clip/f1", "clip/f2"])
        XCTAssertEqual(file.jobs.map { $0.preset.map! }, [path("maps/f1_sem.png"), path("maps/f2_sem.png")])
    }

    func testGlobMistakesAreOneLineEachAtTheirLine() throws {
        try touch(["maps/a.png", "maps/b.png", "style.png"])
        XCTAssertEqual(issues("style: style.png\nmap: maps/*.jpg\noutput: out/{name}.png\n"),
                       ["jobs.yaml:2: map 'maps/*.jpg' matches no file"])
        XCTAssertEqual(issues("style: style.png\nmap: maps/*.png\noutput: out/all.png\n"),
                       ["jobs.yaml:3: output 'out/all.png' would be written by each of the 2 files 'maps/*.png' matches; put {name} in it, e.g. output: out/{name}.png"])
        XCTAssertEqual(issues("style: style.png\nmap: maps/a.png\noutput: out/{name}.png\n"),
                       ["jobs.yaml:3: output 'out/{name}.png' uses {name} or {index}, but neither map: nor content: is a glob (like maps/*.png)"])
        XCTAssertEqual(issues("style: style.png\nmap: maps/*.png\ncontent: maps/*.png\noutput: out/{name}.png\n"),
                       ["jobs.yaml:3: map and content are both globs; give one and name the other with {name}, e.g. map: maps/{name}_sem.png"])
        XCTAssertEqual(issues("style: style.png\nmap: maps/*.png\noutput: out/{nmae}.png\n"),
                       ["jobs.yaml:3: output 'out/{nmae}.png': unknown placeholder {nmae}; use {name} (the matched file's name without extension) or {index}"])
        // One file matched: no placeholder needed.
        XCTAssertEqual(try load("style: style.png\nmap: maps/a*.png\noutput: out/one.png\n").jobs.map(\.name), ["one"])
    }

    // MARK: - Shards

    func testShardsSplitEveryJobExactlyOnceAndKeepTheirJobsWhenJobsAreAdded() throws {
        let names = (1...40).map { "frame\($0)" }
        for n in 1...5 {
            var seen = [String: Int]()
            for k in 1...n {
                let shard = try JobShard.parse("\(k)/\(n)")
                for name in names where shard.contains(name) { seen[name, default: 0] += 1 }
            }
            XCTAssertEqual(seen.count, names.count, "every job in some shard of \(n)")
            XCTAssertTrue(seen.values.allSatisfy { $0 == 1 }, "no job in two shards of \(n)")
        }
        // A job's shard depends on its name alone: adding jobs moves none.
        let before = names.map { JobShard.shard(of: $0, count: 3) }
        XCTAssertEqual(names.map { JobShard.shard(of: $0, count: 3) }, before)
        XCTAssertEqual(JobShard.shard(of: "frame1", count: 3), JobShard.shard(of: "frame1", count: 3))
        // The hash is fixed (SHA-256), the same on every machine and build: pin a few values.
        XCTAssertEqual((1...8).map { JobShard.shard(of: "frame\($0)", count: 2) }, [2, 2, 2, 1, 1, 1, 2, 1])
        let counts = (1...2).map { k in names.filter { JobShard.shard(of: $0, count: 2) == k }.count }
        XCTAssertTrue(counts.allSatisfy { $0 >= 12 }, "40 jobs split roughly evenly: \(counts)")
    }

    func testShardMistakes() {
        func message(_ text: String) -> String {
            do { _ = try JobShard.parse(text); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(message("3/2"), "--shard '3/2': K counts from 1 to N (2); e.g. 1/2 ... 2/2")
        XCTAssertEqual(message("0/0"), "--shard '0/0': N must be at least 1")
        XCTAssertEqual(message("0/2"), "--shard '0/2': K counts from 1 to N (2); e.g. 1/2 ... 2/2")
        XCTAssertEqual(message("half"), "--shard 'half': give K/N, e.g. 1/2 and 2/2 for the two halves")
        XCTAssertEqual(message("1/2"), "accepted")
    }

    func testSchedulerVariablesGiveTheShare() throws {
        func shard(_ env: [String: String], shards: Int? = nil) throws -> String? {
            try JobShard.fromEnvironment(env, shards: shards).map(\.description)
        }
        XCTAssertNil(try shard([:]))
        XCTAssertEqual(try shard(["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "2"]), "1/2")
        XCTAssertEqual(try shard(["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"]), "2/2")
        XCTAssertEqual(try shard(["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4"]), "4/4")
        XCTAssertEqual(try shard(["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6",
                                  "SLURM_ARRAY_TASK_STEP": "2"]), "3/4")
        XCTAssertEqual(try shard(["JOB_COMPLETION_INDEX": "0"], shards: 3), "1/3")
        XCTAssertEqual(try shard(["JOB_COMPLETION_INDEX": "2", "DOODLE_SHARDS": "3"]), "3/3")
        XCTAssertEqual(try JobShard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"])?.origin,
                       "SLURM_ARRAY_TASK_ID=1, SLURM_ARRAY_TASK_COUNT=2")
        func message(_ env: [String: String]) -> String {
            do { return try shard(env) ?? "none" } catch { return "\(error)" }
        }
        XCTAssertEqual(message(["JOB_COMPLETION_INDEX": "1"]),
                       "JOB_COMPLETION_INDEX=1 is set: give the number of shards (the Job's completions) with --shards N or DOODLE_SHARDS")
        XCTAssertEqual(message(["JOB_COMPLETION_INDEX": "3", "DOODLE_SHARDS": "3"]),
                       "JOB_COMPLETION_INDEX=3 with 3 shards: the index counts from 0 to 2")
        XCTAssertEqual(message(["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "2"]),
                       "SLURM_ARRAY_TASK_ID=2, SLURM_ARRAY_TASK_COUNT=2 gives shard 3 of 2, which does not exist: set SLURM_ARRAY_TASK_MIN or give --shard K/N")
        XCTAssertEqual(message(["SLURM_ARRAY_TASK_ID": "x"]), "SLURM_ARRAY_TASK_ID='x' is not a whole number")
    }

    // MARK: - Locks

    func testAnOutputLockIsExclusiveUntilReleasedAndADeadHoldersLockIsTakenOver() throws {
        let output = path("out.png")
        guard case .acquired(let lock) = try OutputLock.acquire(for: output) else { return XCTFail("first claim") }
        guard case .held(let holder) = try OutputLock.acquire(for: output) else { return XCTFail("second claim must fail") }
        XCTAssertEqual(holder.pid, getpid())
        XCTAssertNotNil(OutputLock.holder(for: output))
        lock.release()
        XCTAssertFalse(FileManager.default.fileExists(atPath: OutputLock.path(for: output)))
        XCTAssertNil(OutputLock.holder(for: output))

        // A lock whose process is gone (same host): taken over.
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let host = String(try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8).split(separator: "\n").first ?? "")
        try "\(dead.processIdentifier) \(host) 2026-01-01T00:00:00Z\n".write(toFile: OutputLock.path(for: output), atomically: true, encoding: .utf8)
        XCTAssertNil(OutputLock.holder(for: output), "a dead process holds nothing")
        guard case .acquired(let again) = try OutputLock.acquire(for: output) else { return XCTFail("stale lock not taken over") }
        again.release()

        // Another host's lock, touched recently: held; not touched for longer than `staleAfter`: taken over.
        try "4242 other-host 2026-01-01T00:00:00Z\n".write(toFile: OutputLock.path(for: output), atomically: true, encoding: .utf8)
        guard case .held(let other) = try OutputLock.acquire(for: output) else { return XCTFail("a live other host's lock") }
        XCTAssertEqual(other.description, "pid 4242 on other-host since 2026-01-01T00:00:00Z")
        let old = Date().addingTimeInterval(-OutputLock.staleAfter - 60)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: OutputLock.path(for: output))
        guard case .acquired(let taken) = try OutputLock.acquire(for: output) else { return XCTFail("an abandoned lock") }
        taken.release()
    }

    // MARK: - Palettes

    func writePalette(_ yaml: String) throws -> String {
        try yaml.write(toFile: path("classes.yaml"), atomically: true, encoding: .utf8)
        return path("classes.yaml")
    }

    func paletteIssues(_ yaml: String) -> [String] {
        do {
            _ = try MapPalette.load(path: try writePalette(yaml))
            return []
        } catch let error as PresetError {
            return error.issues.map { $0.description.replacingOccurrences(of: scratch.path + "/", with: "") }
        } catch {
            return ["\(error)"]
        }
    }

    func testPaletteFormsAndMistakes() throws {
        let palette = try MapPalette.load(path: try writePalette("""
            sky: "#87ceeb"
            water: [30, 144, 255]
            rocks: 3
            trees: {color: "#228b22", id: 4}
            """))
        XCTAssertEqual(palette.entries.map(\.name), ["sky", "water", "rocks", "trees"])
        XCTAssertEqual(palette.entries.map(\.colour), [[0x87, 0xce, 0xeb], [30, 144, 255], nil, [0x22, 0x8b, 0x22]])
        XCTAssertEqual(palette.entries.map(\.id), [nil, nil, 3, 4])
        XCTAssertEqual(palette.entries[2].shown, [0xF3, 0xC3, 0x00], "an id-only class is shown in the first spare colour")

        XCTAssertEqual(paletteIssues("sky: \"#87ceeb\"\nsea: \"#87CEEB\"\n"),
                       ["classes.yaml:2: class 'sea': colour #87ceeb is also class 'sky's; give each class its own colour"])
        XCTAssertEqual(paletteIssues("sky: 1\nsea: {id: 1}\n"),
                       ["classes.yaml:2: class 'sea': id 1 is also class 'sky's; give each class its own id"])
        XCTAssertEqual(paletteIssues("sky: blue\nsea: {id: 300}\nrock: [1, 2]\n"), [
            "classes.yaml:1: class 'sky': 'blue' is not a colour; write \"#rrggbb\", [r, g, b] or a label id",
            "classes.yaml:2: class 'sea': id 300 is outside 0...255 (a label map's values)",
            "classes.yaml:3: class 'rock': give a colour as [r, g, b], each 0...255",
        ])
        XCTAssertEqual(paletteIssues("[1, 2]\n"),
                       ["classes.yaml:1: a palette maps class names to colours, like `sky: \"#87ceeb\"` (or label ids, `sky: 1`); this file has none"])
    }

    func testLabelAndPaintedMapsReadTheSameThroughThePalette() throws {
        let palette = try MapPalette.load(path: try writePalette("sky: {color: \"#ffffff\", id: 1}\nsea: {color: \"#0000ff\", id: 2}\n"))
        // A label map: top third 1, the rest 2.
        let labels = Image(width: 12, height: 9, channels: 1) { _, _, y in y < 3 ? 1 : 2 }
        let recoloured = try palette.recoloured(labels, name: "labels.png")
        XCTAssertEqual(recoloured.channels, 3)
        XCTAssertEqual(recoloured.pixels[0], 255)
        XCTAssertEqual(recoloured.pixels[2 * 108 + 5 * 12], 255, "blue channel of the sea")
        XCTAssertEqual(recoloured.pixels[0 * 108 + 5 * 12], 0, "red channel of the sea")
        // The same layout painted, with a blended seam row and JPEG-like noise: the same classes.
        let painted = Image(width: 12, height: 9, channels: 3) { c, x, y in
            if y == 3 { return [100, 100, 255][c] }
            let base: [Float] = y < 3 ? [255, 255, 255] : [0, 0, 255]
            return min(255, max(0, base[c] + Float((x * 7 + y * 3 + c) % 9) - 4))
        }
        let reading = try palette.read(painted, name: "painted.png")
        XCTAssertEqual(reading.counts, [36, 72], "the seam row joins its nearest class")
        XCTAssertEqual(try palette.read(labels, name: "labels.png").counts, [36, 72])

        // A colour or value the palette lacks: one line naming the map, the colour, its share.
        let stray = Image(width: 12, height: 9, channels: 1) { _, x, y in y < 3 ? 1 : (x < 3 ? 7 : 2) }
        XCTAssertThrowsError(try palette.read(stray, name: "stray.png")) { error in
            XCTAssertEqual("\(error)", "'stray.png' has a label value not in the palette '\(self.path("classes.yaml"))': value 7 (16.7%); add it to the palette or repaint the map")
        }
        let green = Image(width: 12, height: 9, channels: 3) { c, x, y in y < 3 ? 255 : (x < 6 ? [0, 255, 0][c] : [0, 0, 255][c]) }
        XCTAssertThrowsError(try palette.read(green, name: "green.png")) { error in
            XCTAssertEqual("\(error)", "'green.png' has a colour not in the palette '\(self.path("classes.yaml"))': #00ff00 (33.3%); add it to the palette or repaint the map")
        }
    }
}
