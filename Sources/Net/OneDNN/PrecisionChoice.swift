import Foundation

/// What the user asks for: a precision, or `auto` to let this machine decide.
public enum PrecisionSetting: String, Sendable, CaseIterable {
    case auto, fp32, bf16
}

/// The network precision for this machine, and why. `auto` picks bf16 only where oneDNN has
/// native bf16 kernels for every convolution and they measured faster than fp32 (they are
/// about twice as fast on AMD Zen 4, and slower on Intel CPUs without AMX). The measurement is
/// made once per CPU (model and flags) and kept in a small JSON file.
public struct PrecisionChoice: Codable, Sendable, Equatable {
    public let precision: NetworkPrecision
    public let reason: String
    public let cpu: CPUInfo
    /// Median seconds of one forward + backward pass at the probe size, when timed.
    public let fp32Seconds: Double?
    public let bf16Seconds: Double?

    /// bf16 must be at least this much faster to be chosen.
    static let margin = 0.9
    static let probeSize = (height: 192, width: 256)
    public static let cacheFileName = "precision.json"

    /// Resolves `setting` on this CPU. `cacheDirectory` holds the measurement for `auto`
    /// (nothing is written when it is nil or not writable).
    public static func resolve(_ setting: PrecisionSetting, weights: VGG19Weights,
                               cacheDirectory: String?) -> PrecisionChoice {
        let cpu = CPUInfo.current
        switch setting {
        case .fp32: return PrecisionChoice(precision: .fp32, reason: "asked for", cpu: cpu, fp32Seconds: nil, bf16Seconds: nil)
        case .bf16: return PrecisionChoice(precision: .bf16, reason: "asked for", cpu: cpu, fp32Seconds: nil, bf16Seconds: nil)
        case .auto: break
        }
        let cacheFile = cacheDirectory.map { $0 + "/" + cacheFileName }
        if let cacheFile, let cached = readCache(cacheFile)[cpu.cacheKey] { return cached }
        let choice = measure(weights: weights, cpu: cpu)
        if let cacheFile { writeCache(cacheFile, adding: choice) }
        return choice
    }

    /// `resolve`, refusing a precision that this CPU has no native kernels for.
    public static func resolveChecked(_ setting: PrecisionSetting, weights: VGG19Weights,
                                      cacheDirectory: String?) throws -> PrecisionChoice {
        let choice = resolve(setting, weights: weights, cacheDirectory: cacheDirectory)
        guard choice.precision == .fp32 || VGG19.supports(choice.precision, weights: weights) else {
            throw PrecisionError(precision: choice.precision)
        }
        return choice
    }

    static func measure(weights: VGG19Weights, cpu: CPUInfo) -> PrecisionChoice {
        guard VGG19.supports(.bf16, weights: weights) else {
            return PrecisionChoice(precision: .fp32, reason: "no native bf16 kernels (oneDNN \(cpu.oneDNNISA))",
                                   cpu: cpu, fp32Seconds: nil, bf16Seconds: nil)
        }
        let fp32 = passSeconds(VGG19(weights: weights, precision: .fp32))
        let bf16 = passSeconds(VGG19(weights: weights, precision: .bf16))
        let faster = bf16 < margin * fp32
        let reason = String(format: "bf16 %.3f s against fp32 %.3f s per pass at %dx%d", bf16, fp32,
                            probeSize.width, probeSize.height)
        return PrecisionChoice(precision: faster ? .bf16 : .fp32, reason: reason, cpu: cpu,
                               fp32Seconds: fp32, bf16Seconds: bf16)
    }

    /// Median of three forward + backward passes to conv4_1 at the probe size, after a warm-up.
    static func passSeconds(_ network: VGG19) -> Double {
        let (h, w) = probeSize
        var rng = SplitMix64(seed: 5)
        let image = Tensor(shape: [3, h, w], data: rng.floats(3 * h * w, in: 0...255))
        let gradient = Tensor(shape: [512, h / 8, w / 8], data: rng.floats(512 * (h / 8) * (w / 8), in: -1...1))
        var times: [Double] = []
        for run in 0..<4 {
            let t0 = DispatchTime.now()
            _ = network.forward(image, to: [.conv4_1])
            _ = network.backward([.conv4_1: gradient])
            if run > 0 { times.append(seconds(t0, DispatchTime.now())) }
        }
        return median(times)
    }

    private static func readCache(_ path: String) -> [String: PrecisionChoice] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return (try? JSONDecoder().decode([String: PrecisionChoice].self, from: data)) ?? [:]
    }

    /// Best effort: a cache that cannot be written only means measuring again next time.
    private static func writeCache(_ path: String, adding choice: PrecisionChoice) {
        var all = readCache(path)
        all[choice.cpu.cacheKey] = choice
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let data = try? encoder.encode(all) else { return }
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = path + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else { return }
        if rename(temporary, path) != 0 { unlink(temporary) }
    }
}

public struct PrecisionError: Error, CustomStringConvertible {
    public let precision: NetworkPrecision
    public var description: String {
        "--precision \(precision.rawValue): oneDNN has no native \(precision.rawValue) kernels on this CPU (\(CPUInfo.current.oneDNNISA)); use auto or fp32"
    }
}

extension CPUInfo {
    /// The same CPU model with the same flags shares one measurement.
    var cacheKey: String { model + " | " + flags.joined(separator: " ") + " | oneDNN " + DNNL.version }
}
