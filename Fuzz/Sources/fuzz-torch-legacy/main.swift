import FuzzSupport
import Net

/// The legacy torch checkpoint reader (a sequence of pickles, then the storages).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTorchLegacy(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzCheckpoint(data, size, as: .torchLegacy)
}

// SwiftPM links this file's code as main; libFuzzer's own main calls the function by its C name.
runFuzzer(fuzzTorchLegacy)
