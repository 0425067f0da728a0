import Doodle
import FuzzSupport

/// The PNG reader (libpng behind CImageCodecs, then the conversion to planar floats).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    withInput(data, size) { check(try Image.decode(bytes: $0, path: fuzzInputName)) }
}

// SwiftPM links this file's code as main; libFuzzer's own main calls the function by its C name.
runFuzzer(fuzzPNG)
