/// A small pickle virtual machine for the subset of Python pickles found in PyTorch
/// checkpoints (protocols 0–5, binary opcodes plus the few text ones torch emits).
///
/// It never executes anything: globals are recorded as names, and only a handful are
/// interpreted (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, ...);
/// any other call yields an opaque `.object`. Lists and dicts are mutable and shared in
/// Python, so they live in arenas owned by the machine (`lists`, `dicts`) and values refer
/// to them by index; this also keeps values acyclic, so nothing recurses without bound.

enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too large for `Int`: little-endian two's-complement bytes, as pickled.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// Items and nesting depth (a tuple of scalars has depth 1).
    case tuple([PickleValue], depth: Int)
    case list(Int)
    case dict(Int)
    case global(module: String, name: String)
    case storage(TorchStorageRef)
    case tensor(TorchTensorRef)
    /// The result of calling a global we do not interpret, e.g. "torch.nn.Conv2d".
    case object(String)

    var typeName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let m, let n): return "global \(m).\(n)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        case .object(let name): return "\(name) object"
        }
    }

    var depth: Int {
        if case .tuple(_, let d) = self { return d }
        return 0
    }

    static func makeTuple(_ items: [PickleValue]) throws -> PickleValue {
        var d = 0
        for item in items { d = max(d, item.depth) }
        guard d < PickleMachine.maxTupleDepth else {
            throw FormatError("pickle tuples nested deeper than \(PickleMachine.maxTupleDepth)")
        }
        return .tuple(items, depth: d + 1)
    }

    /// Keys as stored in a Python dict (hashable values only).
    var key: PickleKey? {
        switch self {
        case .none: return PickleKey.none
        case .bool(let b): return .int(b ? 1 : 0)
        case .int(let i): return .int(i)
        case .bigInt(let b): return .bigInt(b)
        case .float(let f): return f == f.rounded() && abs(f) < 1e18 ? .int(Int(f)) : .float(f.bitPattern)
        case .string(let s): return .string(s)
        case .bytes(let b): return .bytes(b)
        case .tuple(let items, _):
            var keys: [PickleKey] = []
            for item in items {
                guard let k = item.key else { return nil }
                keys.append(k)
            }
            return .tuple(keys)
        case .global(let m, let n): return .global(m + "." + n)
        case .list, .dict, .storage, .tensor, .object: return nil
        }
    }
}

indirect enum PickleKey: Hashable {
    case none
    case int(Int)
    case bigInt([UInt8])
    case float(UInt64)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleKey])
    case global(String)
}

/// An insertion-ordered Python dict.
struct PickleDict {
    private(set) var keys: [PickleValue] = []
    private(set) var values: [PickleValue] = []
    private var index: [PickleKey: Int] = [:]

    var count: Int { keys.count }

    mutating func set(_ key: PickleValue, _ value: PickleValue) throws {
        guard let k = key.key else {
            throw FormatError("pickle uses an unhashable \(key.typeName) as a dict key")
        }
        if let i = index[k] {
            values[i] = value
        } else {
            index[k] = keys.count
            keys.append(key)
            values.append(value)
        }
    }
}

final class PickleMachine {
    static let maxTupleDepth = 100

    private(set) var lists: [[PickleValue]] = []
    private(set) var dicts: [PickleDict] = []

    /// Called for BINPERSID / PERSID with the persistent id; returns the object it stands for.
    var persistentLoad: (PickleValue) throws -> PickleValue = { pid in
        throw FormatError("pickle has a persistent id (\(pid.typeName)) where none is expected")
    }

    func list(_ index: Int) -> [PickleValue] { lists[index] }
    func dict(_ index: Int) -> PickleDict { dicts[index] }

    private func newList(_ items: [PickleValue] = []) -> PickleValue {
        lists.append(items)
        return .list(lists.count - 1)
    }

    private func newDict() -> PickleValue {
        dicts.append(PickleDict())
        return .dict(dicts.count - 1)
    }

    /// Runs one pickle starting at `reader.position` up to and including its STOP opcode,
    /// and returns the unpickled object. Each call has its own memo, like `pickle.load`.
    func load(_ reader: inout ByteReader) throws -> PickleValue {
        var stack: [PickleValue] = []
        var marks: [Int] = []
        var memo: [Int: PickleValue] = [:]
        var opOffset = reader.position

        func floor() -> Int { marks.last ?? 0 }
        func pop() throws -> PickleValue {
            guard stack.count > floor() else {
                throw FormatError("pickle stack underflow at offset \(opOffset)")
            }
            return stack.removeLast()
        }
        func top() throws -> PickleValue {
            guard stack.count > floor() else {
                throw FormatError("pickle stack underflow at offset \(opOffset)")
            }
            return stack[stack.count - 1]
        }
        func popMark() throws -> [PickleValue] {
            guard let m = marks.popLast() else {
                throw FormatError("pickle opcode at offset \(opOffset) needs a MARK but there is none")
            }
            let items = Array(stack[m...])
            stack.removeSubrange(m...)
            return items
        }
        func memoGet(_ i: Int) throws -> PickleValue {
            guard let v = memo[i] else { throw FormatError("pickle memo has no entry \(i) (offset \(opOffset))") }
            return v
        }
        func memoPut(_ i: Int) throws {
            memo[i] = try top()
        }
        func string(_ v: PickleValue, _ what: String) throws -> String {
            switch v {
            case .string(let s): return s
            case .bytes(let b): return String(decoding: b, as: UTF8.self)
            default: throw FormatError("pickle \(what) is a \(v.typeName), expected a string (offset \(opOffset))")
            }
        }
        func appendItems(_ items: [PickleValue]) throws {
            let target = try top()
            switch target {
            case .list(let i): lists[i].append(contentsOf: items)
            case .object: break  // a list subclass we do not model: drop the items
            default: throw FormatError("pickle appends to a \(target.typeName) (offset \(opOffset))")
            }
        }
        func setItems(_ items: [PickleValue]) throws {
            guard items.count % 2 == 0 else {
                throw FormatError("pickle SETITEMS has an odd number of items (offset \(opOffset))")
            }
            let target = try top()
            switch target {
            case .dict(let d):
                var i = 0
                while i < items.count {
                    try dicts[d].set(items[i], items[i + 1])
                    i += 2
                }
            case .object: break
            default: throw FormatError("pickle sets items on a \(target.typeName) (offset \(opOffset))")
            }
        }
        func text(_ what: String) throws -> String { try reader.line("pickle \(what)") }
        func length(_ v: UInt64) throws -> Int { try checkedInt(v, "pickle length") }

        while true {
            opOffset = reader.position
            let op = try reader.u8("pickle opcode")
            switch op {
            case 0x80:  // PROTO
                let p = try reader.u8("pickle PROTO")
                guard p <= 5 else { throw FormatError("unsupported pickle protocol \(p) at offset \(opOffset)") }
            case 0x95:  // FRAME: a length hint only
                _ = try reader.u64("pickle FRAME")
            case 0x2E:  // STOP
                return try pop()
            case 0x28:  // MARK
                marks.append(stack.count)
            case 0x30:  // POP
                if stack.count > floor() { stack.removeLast() } else { _ = try popMark() }
            case 0x31:  // POP_MARK
                _ = try popMark()
            case 0x32:  // DUP
                stack.append(try top())

            // Memo.
            case 0x71: try memoPut(Int(try reader.u8("pickle BINPUT")))
            case 0x72: try memoPut(Int(try reader.u32("pickle LONG_BINPUT")))
            case 0x94: try memoPut(memo.count)  // MEMOIZE
            case 0x70:  // PUT (text)
                guard let i = Int(try text("PUT")), i >= 0 else { throw FormatError("pickle PUT has a bad index (offset \(opOffset))") }
                try memoPut(i)
            case 0x68: stack.append(try memoGet(Int(try reader.u8("pickle BINGET"))))
            case 0x6A: stack.append(try memoGet(Int(try reader.u32("pickle LONG_BINGET"))))
            case 0x67:  // GET (text)
                guard let i = Int(try text("GET")) else { throw FormatError("pickle GET has a bad index (offset \(opOffset))") }
                stack.append(try memoGet(i))

            // Constants and numbers.
            case 0x4E: stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case 0x4A: stack.append(.int(Int(try reader.i32("pickle BININT"))))
            case 0x4B: stack.append(.int(Int(try reader.u8("pickle BININT1"))))
            case 0x4D: stack.append(.int(Int(try reader.u16("pickle BININT2"))))
            case 0x8A:  // LONG1
                let n = Int(try reader.u8("pickle LONG1"))
                stack.append(PickleMachine.long(try reader.byteArray(n, "pickle LONG1")))
            case 0x8B:  // LONG4
                let n = Int(try reader.i32("pickle LONG4"))
                guard n >= 0 else { throw FormatError("pickle LONG4 has negative length \(n) (offset \(opOffset))") }
                stack.append(PickleMachine.long(try reader.byteArray(n, "pickle LONG4")))
            case 0x49:  // INT (text); "00"/"01" are False/True in protocol 0
                let t = try text("INT")
                if t == "00" { stack.append(.bool(false)) } else if t == "01" { stack.append(.bool(true)) } else {
                    guard let i = Int(t) else { throw FormatError("pickle INT \(quoted(t)) is not an integer (offset \(opOffset))") }
                    stack.append(.int(i))
                }
            case 0x4C:  // LONG (text), e.g. "123L"
                var t = try text("LONG")
                if t.hasSuffix("L") { t.removeLast() }
                guard let i = Int(t) else { throw FormatError("pickle LONG \(quoted(t)) is not a supported integer (offset \(opOffset))") }
                stack.append(.int(i))
            case 0x47: stack.append(.float(try reader.f64BigEndian("pickle BINFLOAT")))
            case 0x46:  // FLOAT (text)
                let t = try text("FLOAT")
                guard let f = Double(t) else { throw FormatError("pickle FLOAT \(quoted(t)) is not a number (offset \(opOffset))") }
                stack.append(.float(f))

            // Strings and bytes.
            case 0x58: stack.append(.string(try reader.utf8(try length(UInt64(try reader.u32("pickle BINUNICODE"))), "pickle BINUNICODE")))
            case 0x8C: stack.append(.string(try reader.utf8(Int(try reader.u8("pickle SHORT_BINUNICODE")), "pickle SHORT_BINUNICODE")))
            case 0x8D: stack.append(.string(try reader.utf8(try length(try reader.u64("pickle BINUNICODE8")), "pickle BINUNICODE8")))
            case 0x56: stack.append(.string(try text("UNICODE")))
            case 0x54:  // BINSTRING (Python 2 str)
                let n = Int(try reader.i32("pickle BINSTRING"))
                guard n >= 0 else { throw FormatError("pickle BINSTRING has negative length \(n) (offset \(opOffset))") }
                stack.append(.string(try reader.utf8(n, "pickle BINSTRING")))
            case 0x55: stack.append(.string(try reader.utf8(Int(try reader.u8("pickle SHORT_BINSTRING")), "pickle SHORT_BINSTRING")))
            case 0x42: stack.append(.bytes(try reader.byteArray(try length(UInt64(try reader.u32("pickle BINBYTES"))), "pickle BINBYTES")))
            case 0x43: stack.append(.bytes(try reader.byteArray(Int(try reader.u8("pickle SHORT_BINBYTES")), "pickle SHORT_BINBYTES")))
            case 0x8E: stack.append(.bytes(try reader.byteArray(try length(try reader.u64("pickle BINBYTES8")), "pickle BINBYTES8")))
            case 0x96: stack.append(.bytes(try reader.byteArray(try length(try reader.u64("pickle BYTEARRAY8")), "pickle BYTEARRAY8")))

            // Containers.
            case 0x29: stack.append(try PickleValue.makeTuple([]))
            case 0x85: let a = try pop(); stack.append(try PickleValue.makeTuple([a]))
            case 0x86: let b = try pop(); let a = try pop(); stack.append(try PickleValue.makeTuple([a, b]))
            case 0x87: let c = try pop(); let b = try pop(); let a = try pop(); stack.append(try PickleValue.makeTuple([a, b, c]))
            case 0x74: stack.append(try PickleValue.makeTuple(try popMark()))
            case 0x5D: stack.append(newList())
            case 0x6C: stack.append(newList(try popMark()))  // LIST
            case 0x61: let v = try pop(); try appendItems([v])  // APPEND
            case 0x65: try appendItems(try popMark())  // APPENDS
            case 0x7D: stack.append(newDict())
            case 0x64:  // DICT
                let items = try popMark()
                stack.append(newDict())
                try setItems(items)
            case 0x73: let v = try pop(); let k = try pop(); try setItems([k, v])  // SETITEM
            case 0x75: try setItems(try popMark())  // SETITEMS
            case 0x8F: stack.append(newList())  // EMPTY_SET (kept as a list)
            case 0x90: try appendItems(try popMark())  // ADDITEMS
            case 0x91: stack.append(newList(try popMark()))  // FROZENSET

            // Globals, calls, objects.
            case 0x63:  // GLOBAL "module\nname\n"
                let module = try text("GLOBAL module")
                let name = try text("GLOBAL name")
                stack.append(.global(module: module, name: name))
            case 0x93:  // STACK_GLOBAL
                let name = try string(try pop(), "STACK_GLOBAL name")
                let module = try string(try pop(), "STACK_GLOBAL module")
                stack.append(.global(module: module, name: name))
            case 0x52:  // REDUCE
                let args = try pop()
                let callable = try pop()
                guard case .tuple(let items, _) = args else {
                    throw FormatError("pickle REDUCE arguments are a \(args.typeName), not a tuple (offset \(opOffset))")
                }
                stack.append(try call(callable, items))
            case 0x81:  // NEWOBJ
                let args = try pop()
                let cls = try pop()
                guard case .tuple(let items, _) = args else {
                    throw FormatError("pickle NEWOBJ arguments are a \(args.typeName), not a tuple (offset \(opOffset))")
                }
                stack.append(try call(cls, items))
            case 0x92:  // NEWOBJ_EX
                _ = try pop()  // kwargs
                let args = try pop()
                let cls = try pop()
                guard case .tuple(let items, _) = args else {
                    throw FormatError("pickle NEWOBJ_EX arguments are a \(args.typeName), not a tuple (offset \(opOffset))")
                }
                stack.append(try call(cls, items))
            case 0x62:  // BUILD: sets object state (e.g. OrderedDict._metadata); ignored
                _ = try pop()
                _ = try top()
            case 0x51:  // BINPERSID
                let pid = try pop()
                stack.append(try persistentLoad(pid))
            case 0x50:  // PERSID (text)
                stack.append(try persistentLoad(.string(try text("PERSID"))))

            default:
                throw FormatError("unsupported pickle opcode \(PickleMachine.opcodeName(op)) at offset \(opOffset)")
            }
        }
    }

    /// LONG1/LONG4 payload: little-endian two's complement.
    static func long(_ bytes: [UInt8]) -> PickleValue {
        if bytes.isEmpty { return .int(0) }
        if bytes.count > 8 { return .bigInt(bytes) }
        var v: UInt64 = 0
        for (i, b) in bytes.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        if bytes.count < 8, bytes[bytes.count - 1] & 0x80 != 0 {
            v |= ~UInt64(0) << (8 * UInt64(bytes.count))  // sign-extend
        }
        return .int(Int(Int64(bitPattern: v)))
    }

    /// Interprets a call to `callable` (REDUCE / NEWOBJ) without executing anything.
    private func call(_ callable: PickleValue, _ args: [PickleValue]) throws -> PickleValue {
        guard case .global(let module, let name) = callable else {
            return .object("(call of a \(callable.typeName))")
        }
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"), ("__builtin__", "dict"):
            let d = newDict()
            if case .dict(let di) = d, let first = args.first {
                switch first {
                case .dict(let src):
                    let s = dicts[src]
                    for i in 0 ..< s.count { try dicts[di].set(s.keys[i], s.values[i]) }
                case .list(let src):
                    for pair in lists[src] {
                        guard case .tuple(let kv, _) = pair, kv.count == 2 else {
                            throw FormatError("pickle builds a dict from a list holding a \(pair.typeName), not a (key, value) pair")
                        }
                        try dicts[di].set(kv[0], kv[1])
                    }
                default: break
                }
            }
            return d
        case ("builtins", "set"), ("builtins", "frozenset"), ("__builtin__", "set"), ("__builtin__", "frozenset"),
             ("builtins", "list"), ("__builtin__", "list"):
            if let first = args.first {
                switch first {
                case .list(let src): return newList(lists[src])
                case .tuple(let items, _): return newList(items)
                default: break
                }
            }
            return newList()
        case ("torch", "Size"):
            if let first = args.first, case .tuple = first { return first }
            return .object("torch.Size")
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            return .tensor(try TorchTensorRef(rebuildArguments: args, function: name))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"),
             ("torch.nn.parameter", "Parameter"):
            if let first = args.first, case .tensor = first { return first }
            return .object("\(module).\(name)")
        default:
            return .object("\(module).\(name)")
        }
    }

    static func opcodeName(_ op: UInt8) -> String {
        let names: [UInt8: String] = [
            0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x69: "INST", 0x6F: "OBJ", 0x53: "STRING",
            0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
        ]
        let hex = "0x" + (op < 16 ? "0" : "") + String(op, radix: 16)
        if let n = names[op] { return "\(n) (\(hex))" }
        if op >= 0x21 && op < 0x7F { return "\(hex) ('\(Character(Unicode.Scalar(op)))')" }
        return hex
    }
}
