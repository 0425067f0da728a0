import FuzzSupport
import Net

/// The safetensors reader (the JSON header, offsets, F32 and F16 data).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzCheckpoint(data, size, as: .safetensors)
}

// SwiftPM links this file's code as main; libFuzzer's own main calls the function by its C name.
runFuzzer(fuzzSafetensors)
