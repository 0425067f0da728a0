import CDNNL
import Dispatch

/// One large oneDNN convolution (512 -> 512 channels, 3x3, at 64x48): the yardstick the
/// network is measured against, timed in the same run so that the ratio survives a shared,
/// noisy machine, and independent of any BLAS library's idea of this CPU.
public enum PeakConvolution {
    public struct Result: Codable, Sendable {
        public let description: String
        public let gflop: Double
        public let seconds: Double
        public let gflops: Double
        public let kernel: String
    }

    /// nil when oneDNN has no kernel for `precision` on this CPU.
    public static func measure(precision: NetworkPrecision, runs: Int) -> Result? {
        let (c, h, w) = (512, 48, 64)
        let type = precision.dataType
        var conv = dnnl_convolution_desc_t()
        var src = DNNLLayout.any([1, c, h, w], type: type).raw, wts = DNNLLayout.any([c, c, 3, 3], type: type).raw
        var bias = DNNLLayout.plain([c]).raw, dst = DNNLLayout.any([1, c, h, w], type: type).raw
        let one: [Int64] = [1, 1]
        DNNL.check(dnnl_convolution_forward_desc_init(&conv, dnnl_forward_training, dnnl_convolution_direct,
                                                      &src, &wts, &bias, &dst, one, one, one), "peak convolution")
        guard let primitive = DNNLPrimitive(name: "peak", operation: &conv) else { return nil }
        let memories = [dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md].map { DNNLMemory(primitive.layout($0)) }
        let biasMemory = DNNLMemory(.plain([c]))
        for memory in memories + [biasMemory] { fill(memory) }
        let stream = DNNLStream()
        let flop = 2.0 * 9 * Double(c * c * h * w)
        var times: [Double] = []
        for run in 0...runs {
            let t0 = DispatchTime.now()
            primitive.execute(stream, [(DNNLArgument.src, memories[0]), (DNNLArgument.weights, memories[1]),
                                       (DNNLArgument.bias, biasMemory), (DNNLArgument.dst, memories[2])])
            if run > 0 { times.append(seconds(t0, DispatchTime.now())) }
        }
        let t = median(times)
        return Result(description: "3x3 convolution 512->512 at 64x48, \(precision.rawValue)",
                      gflop: flop / 1e9, seconds: t, gflops: flop / 1e9 / t, kernel: primitive.implementation)
    }

    /// Small ordinary values (0.01), so that no denormal or NaN slows or skews the timing.
    private static func fill(_ memory: DNNLMemory) {
        let bytes = memory.layout.bytes
        if memory.layout.raw.data_type == dnnl_bf16 {
            memory.data.initializeMemory(as: UInt16.self, repeating: 0x3C24, count: bytes / 2)
        } else {
            memory.data.initializeMemory(as: Float.self, repeating: 0.01, count: bytes / 4)
        }
    }
}
