import CDNNL

/// Thin, owning wrappers over oneDNN's C API: descriptors, memory and primitives.
/// Everything here is created once per image size and reused; none of it is hot.
public enum DNNL {
    /// A failed oneDNN call is a programming error (an unsupported descriptor) or out of memory.
    @inline(__always)
    static func check(_ status: dnnl_status_t, _ call: @autoclosure () -> String) {
        guard status != dnnl_success else { return }
        fatalError("oneDNN \(call()): \(String(cString: dnnl_status2str(status)))")
    }

    /// The process's CPU engine (thread-safe; streams are not, so each user makes its own).
    static let engine: dnnl_engine_t = {
        var engine: dnnl_engine_t?
        check(dnnl_engine_create(&engine, dnnl_cpu, 0), "engine_create")
        return engine!
    }()

    /// The instruction set oneDNN dispatches to on this CPU, e.g. "avx2" or "avx512_core_bf16".
    static var effectiveISA: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_sse41: return "sse41"
        case dnnl_cpu_isa_avx: return "avx"
        case dnnl_cpu_isa_avx2: return "avx2"
        case dnnl_cpu_isa_avx512_mic: return "avx512_mic"
        case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops"
        case dnnl_cpu_isa_avx512_core: return "avx512_core"
        case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx"
        case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni"
        default: return "generic"
        }
    }

    public static var version: String {
        let v = dnnl_version()!.pointee
        return "\(v.major).\(v.minor).\(v.patch)"
    }
}

/// An in-order CPU stream: one per user of the network, never shared between threads.
final class DNNLStream {
    let raw: dnnl_stream_t
    init() {
        var s: dnnl_stream_t?
        DNNL.check(dnnl_stream_create(&s, DNNL.engine, dnnl_stream_default_flags.rawValue), "stream_create")
        raw = s!
    }
    deinit { dnnl_stream_destroy(raw) }
}

/// A memory descriptor: dimensions, data type and layout.
struct DNNLLayout: Equatable {
    var raw: dnnl_memory_desc_t

    init(_ raw: dnnl_memory_desc_t) { self.raw = raw }

    /// `[N, C, H, W]` (or any rank) with a format tag; `dnnl_format_tag_any` lets a primitive choose.
    init(dims: [Int], type: dnnl_data_type_t = dnnl_f32, tag: dnnl_format_tag_t) {
        var md = dnnl_memory_desc_t()
        let d = dims.map { Int64($0) }
        DNNL.check(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, type, tag), "memory_desc_init_by_tag \(dims)")
        raw = md
    }

    /// Plain row-major `[N, C, H, W]` (or `[O, I, H, W]`, `[C]`) of `type`.
    static func plain(_ dims: [Int], type: dnnl_data_type_t = dnnl_f32) -> DNNLLayout {
        let tag: dnnl_format_tag_t = dims.count == 4 ? dnnl_abcd : dims.count == 1 ? dnnl_a : dnnl_ab
        return DNNLLayout(dims: dims, type: type, tag: tag)
    }

    static func any(_ dims: [Int], type: dnnl_data_type_t) -> DNNLLayout {
        DNNLLayout(dims: dims, type: type, tag: dnnl_format_tag_any)
    }

    var dims: [Int] {
        withUnsafeBytes(of: raw.dims) { Array($0.bindMemory(to: Int64.self).prefix(Int(raw.ndims))).map { Int($0) } }
    }

    var elementCount: Int { dims.reduce(1, *) }

    var bytes: Int {
        var md = raw
        return Int(dnnl_memory_desc_get_size(&md))
    }

    static func == (a: DNNLLayout, b: DNNLLayout) -> Bool {
        var x = a.raw, y = b.raw
        return dnnl_memory_desc_equal(&x, &y) != 0
    }
}

/// A memory object. Either it owns its storage (allocated by oneDNN), or it is a view whose
/// data pointer is set right before each use (`point(to:)`), for ping-pong buffers and for
/// the callers' own arrays.
final class DNNLMemory {
    let raw: dnnl_memory_t
    let layout: DNNLLayout

    init(_ layout: DNNLLayout, owning: Bool = true) {
        var m: dnnl_memory_t?
        var md = layout.raw
        let handle: UnsafeMutableRawPointer? = owning ? UnsafeMutableRawPointer(bitPattern: -1) : nil  // DNNL_MEMORY_ALLOCATE
        DNNL.check(dnnl_memory_create(&m, &md, DNNL.engine, handle), "memory_create")
        raw = m!
        self.layout = layout
    }
    deinit { dnnl_memory_destroy(raw) }

    func point(to pointer: UnsafeMutableRawPointer) {
        DNNL.check(dnnl_memory_set_data_handle(raw, pointer), "memory_set_data_handle")
    }

    var data: UnsafeMutableRawPointer {
        var p: UnsafeMutableRawPointer?
        DNNL.check(dnnl_memory_get_data_handle(raw, &p), "memory_get_data_handle")
        return p!
    }
}

/// A primitive and its descriptor: what oneDNN chose (its implementation name and the
/// layouts it wants) and the means to run it.
final class DNNLPrimitive {
    let descriptor: dnnl_primitive_desc_t
    let raw: dnnl_primitive_t
    /// What oneDNN runs, e.g. "jit:avx2" or "ref:any".
    let implementation: String
    let name: String

    /// `nil` when oneDNN has no implementation for this operation descriptor.
    convenience init?(name: String, operation: UnsafeRawPointer, attributes: dnnl_primitive_attr_t? = nil,
          hint: DNNLPrimitive? = nil) {
        var pd: dnnl_primitive_desc_t?
        guard dnnl_primitive_desc_create(&pd, operation, attributes, DNNL.engine, hint?.descriptor) == dnnl_success,
              let pd else { return nil }
        self.init(name: name, descriptor: pd)
    }

    static func make(name: String, operation: UnsafeRawPointer, attributes: dnnl_primitive_attr_t? = nil,
                     hint: DNNLPrimitive? = nil) throws -> DNNLPrimitive {
        guard let p = DNNLPrimitive(name: name, operation: operation, attributes: attributes, hint: hint) else {
            throw DNNLUnsupported(what: name)
        }
        return p
    }

    /// Adopts a primitive descriptor (e.g. a reorder's).
    init(name: String, descriptor pd: dnnl_primitive_desc_t) {
        var p: dnnl_primitive_t?
        DNNL.check(dnnl_primitive_create(&p, pd), "primitive_create \(name)")
        descriptor = pd
        raw = p!
        self.name = name
        var info: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &info)
        implementation = info.map { String(cString: $0) } ?? "?"
    }

    deinit {
        dnnl_primitive_destroy(raw)
        dnnl_primitive_desc_destroy(descriptor)
    }

    /// The layout the primitive wants for one of its arguments (`dnnl_query_src_md`, ...).
    func layout(_ what: dnnl_query_t) -> DNNLLayout {
        DNNLLayout(dnnl_primitive_desc_query_md(descriptor, what, 0).pointee)
    }

    /// True for oneDNN's slow fallbacks: reference loops and generic C++ code.
    var isGeneric: Bool { implementation.hasPrefix("ref") || implementation.contains("any:ref") }

    func execute(_ stream: DNNLStream, _ arguments: [(Int32, DNNLMemory)]) {
        let args = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.raw) }
        DNNL.check(dnnl_primitive_execute(raw, stream.raw, Int32(args.count), args), "execute \(name)")
        DNNL.check(dnnl_stream_wait(stream.raw), "stream_wait \(name)")
    }

    /// A layout conversion from `source` to `target`; with `accumulate`, adds into the target.
    static func reorder(from source: DNNLLayout, to target: DNNLLayout, accumulate: Bool = false,
                        name: String) -> DNNLPrimitive {
        var attr: dnnl_primitive_attr_t?
        if accumulate {
            DNNL.check(dnnl_primitive_attr_create(&attr), "primitive_attr_create")
            var ops: dnnl_post_ops_t?
            DNNL.check(dnnl_post_ops_create(&ops), "post_ops_create")
            DNNL.check(dnnl_post_ops_append_sum(ops, 1), "post_ops_append_sum")
            DNNL.check(dnnl_primitive_attr_set_post_ops(attr, ops), "primitive_attr_set_post_ops")
            dnnl_post_ops_destroy(ops)
        }
        defer { if let attr { dnnl_primitive_attr_destroy(attr) } }
        var pd: dnnl_primitive_desc_t?
        var s = source.raw, t = target.raw
        DNNL.check(dnnl_reorder_primitive_desc_create(&pd, &s, DNNL.engine, &t, DNNL.engine, attr), "reorder \(name)")
        return DNNLPrimitive(name: name, descriptor: pd!)
    }
}

/// oneDNN has no implementation of an operation (with these types) on this CPU.
struct DNNLUnsupported: Error, CustomStringConvertible {
    let what: String
    var description: String { "oneDNN has no kernel for \(what) on this CPU (\(DNNL.effectiveISA))" }
}

/// Argument names of `dnnl_primitive_execute`.
enum DNNLArgument {
    static let src = Int32(DNNL_ARG_SRC_0)
    static let dst = Int32(DNNL_ARG_DST_0)
    static let weights = Int32(DNNL_ARG_WEIGHTS_0)
    static let bias = Int32(DNNL_ARG_BIAS)
    static let workspace = Int32(DNNL_ARG_WORKSPACE)
    static let diffSrc = Int32(DNNL_ARG_DIFF_SRC_0)
    static let diffDst = Int32(DNNL_ARG_DIFF_DST_0)
}
