import FuzzSupport
import Net

/// The torch zip checkpoint reader (zip and zip64 directories, stored and deflated entries, the pickle).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTorchZip(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzCheckpoint(data, size, as: .torchZip)
}

// SwiftPM links this file's code as main; libFuzzer's own main calls the function by its C name.
runFuzzer(fuzzTorchZip)
