import Foundation

/// What this CPU is, as benchmarks and the precision choice report it: the model name and the
/// feature flags that decide which kernels run (read from /proc/cpuinfo on Linux).
public struct CPUInfo: Codable, Sendable, Equatable {
    public let model: String
    /// The vector-relevant flags present, e.g. ["avx2", "fma", "avx512f", "avx512_bf16"].
    public let flags: [String]
    public let cores: Int
    /// The instruction set oneDNN dispatches to, e.g. "avx2" or "avx512_core_bf16".
    public let oneDNNISA: String

    static let relevantFlags = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl",
                                "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_tile", "amx_int8"]

    public static let current: CPUInfo = {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String? {
            text.split(separator: "\n").first { $0.hasPrefix(name) }
                .flatMap { $0.split(separator: ":", maxSplits: 1).last }
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let present = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        return CPUInfo(model: field("model name") ?? "unknown CPU",
                       flags: relevantFlags.filter(present.contains),
                       cores: ProcessInfo.processInfo.activeProcessorCount,
                       oneDNNISA: DNNL.effectiveISA)
    }()

    /// One line: "AMD EPYC (2 cores; avx2 fma ...; oneDNN avx2)".
    public var summary: String {
        "\(model) (\(cores) cores; \(flags.joined(separator: " ")); oneDNN \(oneDNNISA))"
    }
}
