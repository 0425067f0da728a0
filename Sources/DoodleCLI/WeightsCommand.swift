import ArgumentParser
import Foundation
import Net

struct WeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights",
        abstract: "Find, check and fetch the VGG19 weights.",
        subcommands: [Path.self, Verify.self, Fetch.self])

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print where the weights are looked for ($DOODLE_HOME, default ~/.cache/doodle).")
        func run() {
            print(WeightStore().defaultWeightsPath)
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that the weights are present, intact and shaped like VGG19 (exit 0 or 2).")
        @Option(help: "Weights file to check (default: the one `doodle weights path` prints).")
        var weights: String?

        func run() throws {
            let store = WeightStore()
            let path = weights ?? store.defaultWeightsPath
            guard FileManager.default.fileExists(atPath: path) else {
                throw UserError("'\(path)': no weights file; run scripts/setup (or `doodle weights fetch`)")
            }
            let digest = try SHA256.hexDigest(ofFile: path)
            let pinned = weights == nil
            if pinned && digest != WeightStore.pinnedSHA256 {
                throw UserError("'\(path)': SHA-256 \(digest) is not the pinned \(WeightStore.pinnedSHA256); delete it and run scripts/setup")
            }
            let loaded = try VGG19Weights.load(path: path)
            print("ok \(path)")
            print("sha256 \(digest)\(pinned ? " (pinned)" : " (not pinned: a file of your own)")")
            print("preprocessing \(loaded.preprocessing.rawValue), 16 convolutions conv1_1...conv5_4")
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download weights, check their SHA-256 and VGG19 shapes, then move them into place.")
        @Option(help: "Where to download from (http, https or file URL).")
        var url: String
        @Option(help: "Expected SHA-256 of the file, 64 hex digits.")
        var sha256: String
        @Option(help: "Checkpoint format the file must be: torch or safetensors.")
        var format: WeightsFormat?
        @Option(help: "Destination file (default: in $DOODLE_HOME, named after the URL).")
        var output: String?

        func validate() throws {
            guard URL(string: url)?.scheme != nil else {
                throw ValidationError("--url '\(url)' is not a URL; give e.g. https://host/vgg19.pth or file:///path")
            }
            guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit) else {
                throw ValidationError("--sha256 must be 64 hex digits (got \(sha256.count) characters)")
            }
        }

        func run() throws {
            let store = WeightStore()
            let expected = format
            let path = try store.fetch(url: URL(string: url)!, sha256: sha256.lowercased(), to: output, validate: { candidate in
                let checkpoint = try Checkpoint.load(path: candidate)
                if let expected, !expected.matches(checkpoint.format) {
                    throw UserError("'\(url)': is a \(checkpoint.format) checkpoint, not \(expected.rawValue); drop --format or fix it")
                }
                _ = try VGG19Weights(tensors: checkpoint.tensors, source: url)
            })
            print(path)
        }
    }
}

enum WeightsFormat: String, ExpressibleByArgument, CaseIterable {
    case torch, safetensors
    func matches(_ format: Checkpoint.Format) -> Bool {
        switch (self, format) {
        case (.safetensors, .safetensors), (.torch, .torchLegacy), (.torch, .torchZip): return true
        default: return false
        }
    }
}
