/// The pre-1.6 torch serialization (`torch.save(..., _use_new_zipfile_serialization=False)`):
///
///     pickle: magic number 0x1950a86a20f9469cfc6c
///     pickle: protocol version 1001
///     pickle: sys_info dict (little_endian, type_sizes)
///     pickle: the object (a state dict), storages as persistent ids
///     pickle: list of storage keys
///     for each key in that list: int64 LE element count, then the raw little-endian elements
enum LegacyTorchFormat {
    /// 0x1950a86a20f9469cfc6c as pickled by LONG1: little-endian two's complement.
    static let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    static let protocolVersion = 1001

    /// True when the file starts with a pickle whose value is the torch magic number.
    static func hasMagic(_ file: UnsafeRawBufferPointer) -> Bool {
        guard var reader = try? ByteReader(file),
              case .bigInt(let bytes)? = try? PickleMachine().load(&reader) else { return false }
        return bytes == magic
    }

    static func load(_ file: UnsafeRawBufferPointer) throws -> [(name: String, tensor: Tensor)] {
        var reader = try ByteReader(file)

        guard case .bigInt(let m)? = try? PickleMachine().load(&reader), m == magic else {
            throw FormatError("not a checkpoint: pickle does not start with the torch magic number 0x1950a86a20f9469cfc6c")
        }
        let version = try PickleMachine().load(&reader)
        guard case .int(protocolVersion) = version else {
            throw FormatError("unsupported torch legacy protocol version \(PickleValue.describeTuple(version)) (expected \(protocolVersion))")
        }
        let sysInfoMachine = PickleMachine()
        let sysInfo = try sysInfoMachine.load(&reader)
        if case .dict(let i) = sysInfo {
            let d = sysInfoMachine.dict(i)
            for j in 0 ..< d.count {
                if case .string("little_endian") = d.keys[j], case .bool(false) = d.values[j] {
                    throw FormatError("checkpoint was written on a big-endian machine; not supported")
                }
            }
        }

        let storages = TorchStorageTable()
        let machine = PickleMachine()
        machine.persistentLoad = storages.persistentLoad
        let root = try machine.load(&reader)
        let tensors = try collectTorchTensors(root, machine: machine)

        let keysMachine = PickleMachine()
        let keysValue = try keysMachine.load(&reader)
        guard case .list(let keysIndex) = keysValue else {
            throw FormatError("storage key list is a \(keysValue.typeName), not a list")
        }
        // Where each storage's elements start in the file.
        var starts: [String: Int] = [:]
        for (index, keyValue) in keysMachine.list(keysIndex).enumerated() {
            let key: String
            switch keyValue {
            case .string(let s): key = s
            case .int(let i): key = String(i)
            default: throw FormatError("storage key \(index) is a \(keyValue.typeName), not a string")
            }
            guard let declared = storages.declared[key] else {
                throw FormatError("storage \(key) is listed but never used by the pickle")
            }
            guard starts[key] == nil else { throw FormatError("storage \(key) is listed twice") }
            let countOffset = reader.position
            let count = try reader.i64("storage \(key) element count")
            guard count == Int64(declared.count) else {
                throw FormatError("storage \(key) has \(count) elements at offset \(countOffset), but the pickle says \(declared.count)")
            }
            let bytes = try checkedMul(declared.count, declared.type.elementSize, "storage \(key) byte size")
            starts[key] = reader.position
            try reader.skip(bytes, "storage \(key)")
        }

        var result: [(name: String, tensor: Tensor)] = []
        result.reserveCapacity(tensors.count)
        for (name, ref) in tensors {
            guard let start = starts[ref.storage.key] else {
                throw FormatError("tensor \(quoted(name)) uses storage \(ref.storage.key), which has no data in the file")
            }
            result.append((name, try ref.materialize(name: name, file: file, rootStart: start, rootCount: ref.storage.count)))
        }
        return result
    }
}
