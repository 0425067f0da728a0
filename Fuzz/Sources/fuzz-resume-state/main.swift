import Doodle
import Foundation
import FuzzSupport

/// The resume state reader (`OUT.png.doodle-state`): what it accepts, it writes back the same.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzResumeState(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    withInput(data, size) { bytes in
        let state = try ResumeState.decode(Data(bytes), name: fuzzInputName)
        check(state.point.image, range: -1...256)
        let again = try ResumeState.decode(try state.encoded(), name: fuzzInputName)
        require(again.point.image.pixels == state.point.image.pixels && again.point.matches == state.point.matches,
                "a state read back differs from the one written")
    }
}

// SwiftPM links this file's code as main; libFuzzer's own main calls the function by its C name.
runFuzzer(fuzzResumeState)
