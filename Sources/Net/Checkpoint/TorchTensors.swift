/// Pieces shared by the two torch formats: storage types, the persistent ids that stand for
/// storages, `_rebuild_tensor_v2` calls, and walking the unpickled object for tensors.

struct TorchStorageType: Equatable {
    /// e.g. "torch.FloatStorage"
    let name: String
    let elementSize: Int
    /// nil: a dtype we recognise (to skip its bytes) but do not convert.
    let element: ElementType?

    init(module: String, name: String) throws {
        guard module == "torch" || module == "torch.cuda" else {
            throw FormatError("unknown storage type \(quoted(module + "." + name))")
        }
        let sizes: [String: Int] = [
            "FloatStorage": 4, "HalfStorage": 2, "DoubleStorage": 8, "BFloat16Storage": 2,
            "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1,
            "BoolStorage": 1, "ComplexFloatStorage": 8, "ComplexDoubleStorage": 16,
            "QInt8Storage": 1, "QUInt8Storage": 1, "QInt32Storage": 4, "QUInt4x2Storage": 1,
            "QUInt2x4Storage": 1, "UntypedStorage": 1,
        ]
        guard let size = sizes[name] else {
            throw FormatError("unknown storage type \(quoted(module + "." + name))")
        }
        self.name = "torch." + name
        self.elementSize = size
        switch name {
        case "FloatStorage": element = .float32
        case "HalfStorage": element = .float16
        default: element = nil
        }
    }
}

/// A storage as named by a persistent id: `('storage', torch.FloatStorage, key, location,
/// numel[, (view_key, view_offset, view_numel)])`. Elements `viewOffset ..< viewOffset +
/// viewCount` of the root storage `key` (which has `count` elements).
struct TorchStorageRef {
    let key: String
    let type: TorchStorageType
    let count: Int
    let viewOffset: Int
    let viewCount: Int

    init(persistentID pid: PickleValue) throws {
        guard case .tuple(let items, _) = pid, items.count == 5 || items.count == 6 else {
            throw FormatError("persistent id is a \(pid.typeName) (\(PickleValue.describeTuple(pid))), expected ('storage', type, key, location, numel)")
        }
        let kind: String
        switch items[0] {
        case .string(let s): kind = s
        case .bytes(let b): kind = String(decoding: b, as: UTF8.self)
        default: kind = items[0].typeName
        }
        guard kind == "storage" else {
            throw FormatError("persistent id of kind \(quoted(kind)) is not supported (only 'storage')")
        }
        guard case .global(let module, let name) = items[1] else {
            throw FormatError("storage type in persistent id is a \(items[1].typeName), expected a torch storage class")
        }
        type = try TorchStorageType(module: module, name: name)
        switch items[2] {
        case .string(let s): key = s
        case .bytes(let b): key = String(decoding: b, as: UTF8.self)
        case .int(let i): key = String(i)
        default: throw FormatError("storage key in persistent id is a \(items[2].typeName)")
        }
        guard case .int(let n) = items[4], n >= 0 else {
            throw FormatError("storage \(key) has element count \(PickleValue.describeTuple(items[4])), expected a non-negative int")
        }
        count = n
        _ = try checkedMul(n, type.elementSize, "storage \(key) byte size")
        if items.count == 6, case .tuple(let view, _) = items[5] {
            guard view.count == 3, case .int(let off) = view[1], case .int(let len) = view[2],
                  off >= 0, len >= 0, off <= n, len <= n - off else {
                throw FormatError("storage \(key) has a bad view \(PickleValue.describeTuple(items[5])) of its \(n) elements")
            }
            viewOffset = off
            viewCount = len
        } else {
            guard items.count == 5 || { if case .none = items[5] { return true } else { return false } }() else {
                throw FormatError("storage \(key) has view metadata of type \(items[5].typeName)")
            }
            viewOffset = 0
            viewCount = n
        }
    }
}

/// Records every storage the pickle names, so that all references to a key agree.
final class TorchStorageTable {
    private(set) var declared: [String: (type: TorchStorageType, count: Int)] = [:]

    func persistentLoad(_ pid: PickleValue) throws -> PickleValue {
        let ref = try TorchStorageRef(persistentID: pid)
        if let old = declared[ref.key] {
            guard old.type == ref.type, old.count == ref.count else {
                throw FormatError("storage \(ref.key) is declared as \(old.type.name) of \(old.count) elements and as \(ref.type.name) of \(ref.count)")
            }
        } else {
            declared[ref.key] = (ref.type, ref.count)
        }
        return .storage(ref)
    }
}

/// A `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)` call.
struct TorchTensorRef {
    let storage: TorchStorageRef
    let offset: Int
    let size: [Int]
    let stride: [Int]

    static let maxRank = 64

    init(rebuildArguments args: [PickleValue], function: String) throws {
        guard args.count >= 4 && args.count <= 7 else {
            throw FormatError("\(function) called with \(args.count) arguments")
        }
        guard case .storage(let s) = args[0] else {
            throw FormatError("\(function) called on a \(args[0].typeName), not a storage")
        }
        guard case .int(let off) = args[1] else {
            throw FormatError("\(function) storage offset is a \(args[1].typeName)")
        }
        storage = s
        offset = off
        size = try TorchTensorRef.ints(args[2], "size", function)
        stride = try TorchTensorRef.ints(args[3], "stride", function)
        guard size.count == stride.count else {
            throw FormatError("\(function) has size \(size) but stride \(stride)")
        }
    }

    private static func ints(_ v: PickleValue, _ what: String, _ function: String) throws -> [Int] {
        guard case .tuple(let items, _) = v else {
            throw FormatError("\(function) \(what) is a \(v.typeName), expected a tuple of ints")
        }
        guard items.count <= maxRank else {
            throw FormatError("\(function) \(what) has \(items.count) dimensions (at most \(maxRank) supported)")
        }
        return try items.map {
            guard case .int(let i) = $0 else {
                throw FormatError("\(function) \(what) holds a \($0.typeName), expected ints")
            }
            return i
        }
    }

    /// Copies the tensor out of its storage, whose root starts at `rootStart` in `file` and
    /// has `rootCount` readable elements (checked by the caller against the file size).
    func materialize(name: String, file: UnsafeRawBufferPointer, rootStart: Int, rootCount: Int) throws -> Tensor {
        guard let element = storage.type.element else {
            throw FormatError("tensor \(quoted(name)) has storage type \(storage.type.name); only torch.FloatStorage (and torch.HalfStorage, converted) are supported")
        }
        guard storage.viewOffset + storage.viewCount <= rootCount else {
            throw FormatError("storage \(storage.key) has \(rootCount) elements, its view needs \(storage.viewOffset + storage.viewCount)")
        }
        let byteCount = try checkedMul(rootCount, element.size, "storage \(storage.key) byte size")
        let byteEnd = try checkedAdd(rootStart, byteCount, "storage \(storage.key) end")
        guard rootStart >= 0, byteEnd <= file.count, let base = file.baseAddress else {
            throw FormatError("truncated: storage \(storage.key) lies outside the file")
        }
        return try gatherTensor(name: name, type: element,
                                storage: base + rootStart + storage.viewOffset * element.size,
                                storageCount: storage.viewCount, offset: offset, size: size, stride: stride)
    }
}

extension PickleValue {
    /// A short, one-line rendering for messages (tuples of scalars only).
    static func describeTuple(_ v: PickleValue, depth: Int = 0) -> String {
        switch v {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let f): return String(f)
        case .string(let s): return quoted(s, limit: 40)
        case .global(let m, let n): return quoted(m + "." + n, limit: 60)
        case .tuple(let items, _):
            if depth > 2 { return "(...)" }
            let shown = items.prefix(6).map { describeTuple($0, depth: depth + 1) }
            return "(" + shown.joined(separator: ", ") + (items.count > 6 ? ", ..." : "") + ")"
        default: return v.typeName
        }
    }
}

/// Walks the unpickled object and returns its tensors with dotted names, in dict order.
/// A state dict `{name: tensor}` gives its names as they are; nested dicts (e.g.
/// `{'state_dict': {...}}`) give `outer.inner` names. Non-tensor leaves are skipped.
func collectTorchTensors(_ root: PickleValue, machine: PickleMachine) throws -> [(name: String, ref: TorchTensorRef)] {
    switch root {
    case .dict, .list, .tuple: break
    default:
        throw FormatError("top-level object is a \(root.typeName), not a dict of tensors")
    }
    var out: [(name: String, ref: TorchTensorRef)] = []
    var names = Set<String>()
    var active = Set<Int>()  // dicts and lists on the current path (cycle guard)

    func add(_ name: String, _ ref: TorchTensorRef) throws {
        guard names.insert(name).inserted else {
            throw FormatError("duplicate tensor name \(quoted(name))")
        }
        out.append((name, ref))
    }
    func join(_ prefix: String, _ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }

    func visit(_ value: PickleValue, _ prefix: String, _ depth: Int) throws {
        guard depth < 16 else { return }
        switch value {
        case .tensor(let ref):
            try add(prefix, ref)
        case .dict(let i):
            guard active.insert(2 * i).inserted else { return }
            defer { active.remove(2 * i) }
            let d = machine.dict(i)
            for j in 0 ..< d.count {
                let key: String
                switch d.keys[j] {
                case .string(let s): key = s
                case .int(let n): key = String(n)
                case .bytes(let b): key = String(decoding: b, as: UTF8.self)
                default: continue
                }
                try visit(d.values[j], join(prefix, key), depth + 1)
            }
        case .list(let i):
            guard active.insert(2 * i + 1).inserted else { return }
            defer { active.remove(2 * i + 1) }
            for (j, item) in machine.list(i).enumerated() {
                try visit(item, join(prefix, String(j)), depth + 1)
            }
        case .tuple(let items, _):
            for (j, item) in items.enumerated() {
                try visit(item, join(prefix, String(j)), depth + 1)
            }
        default:
            return
        }
    }
    try visit(root, "", 0)
    return out
}
