/// The zip-based torch serialization (default since torch 1.6): a stored zip archive with
///
///     <name>/data.pkl     the object, storages as persistent ids ('storage', type, key, location, numel)
///     <name>/data/<key>   raw little-endian elements of each storage
///     <name>/byteorder    optional, "little" or "big"
///     <name>/version      optional
///
/// where <name> is a single top-level folder, e.g. "archive" or "vgg19-dcbb9e9d".
enum TorchZipFormat {
    static func load(_ file: UnsafeRawBufferPointer) throws -> [(name: String, tensor: Tensor)] {
        let archive = try ZipArchive(file)
        guard let pickleEntry = archive.entries.first(where: {
            let parts = $0.name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && !parts[0].isEmpty && parts[1] == "data.pkl"
        }) else {
            throw FormatError("zip archive has no '<folder>/data.pkl' entry, so it is not a torch checkpoint")
        }
        let prefix = String(pickleEntry.name.dropLast("data.pkl".count))

        let pickleRange = try archive.dataRange(of: pickleEntry)
        let crc = ZipArchive.crc32(UnsafeRawBufferPointer(rebasing: file[pickleRange]))
        guard crc == pickleEntry.crc32 else {
            throw FormatError("zip entry \(quoted(pickleEntry.name)) is corrupt (CRC-32 mismatch)")
        }
        if let byteOrder = archive.entry(named: prefix + "byteorder") {
            let r = try archive.dataRange(of: byteOrder)
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: file[r]), as: UTF8.self)
            if text.hasPrefix("big") {
                throw FormatError("checkpoint was written with big-endian byte order; not supported")
            }
        }

        var reader = try ByteReader(file, from: pickleRange.lowerBound, to: pickleRange.upperBound,
                                    what: quoted(pickleEntry.name))
        let storages = TorchStorageTable()
        let machine = PickleMachine()
        machine.persistentLoad = storages.persistentLoad
        let root = try machine.load(&reader)
        let tensors = try collectTorchTensors(root, machine: machine)

        var ranges: [String: Range<Int>] = [:]
        var result: [(name: String, tensor: Tensor)] = []
        result.reserveCapacity(tensors.count)
        for (name, ref) in tensors {
            let key = ref.storage.key
            let range: Range<Int>
            if let known = ranges[key] {
                range = known
            } else {
                let entryName = prefix + "data/" + key
                guard let entry = archive.entry(named: entryName) else {
                    throw FormatError("tensor \(quoted(name)) uses storage \(key), but the archive has no entry \(quoted(entryName))")
                }
                range = try archive.dataRange(of: entry)
                let needed = try checkedMul(ref.storage.count, ref.storage.type.elementSize, "storage \(key) byte size")
                guard range.count >= needed else {
                    throw FormatError("truncated: storage \(key) needs \(needed) bytes, zip entry \(quoted(entryName)) has \(range.count)")
                }
                ranges[key] = range
            }
            result.append((name, try ref.materialize(name: name, file: file, rootStart: range.lowerBound, rootCount: ref.storage.count)))
        }
        return result
    }
}
