import Doodle
import FuzzSupport

/// The YAML reader of presets and job files (Yams, the nesting limit, keys, values, ranges,
/// job expansion). A preset it accepts, written back as YAML, reads back to the same values.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzPreset(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    withInput(data, size) { bytes in
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        // A folder that does not exist: relative paths and globs find nothing.
        let path = "/nonexistent-doodle-fuzz/\(fuzzInputName).yaml"
        do {
            let preset = try Preset.parse(yaml: text, path: path)
            let again = try Preset.parse(yaml: preset.yaml(), path: path)
            require(again.values == preset.values, "a preset written as YAML reads back differently:\n\(preset.yaml())")
        } catch let error as PresetError {
            requireOneLine(error.description)
        }
        _ = try JobFile.parse(yaml: text, path: path)
    }
}

// SwiftPM links this file's code as main; libFuzzer's own main calls the function by its C name.
runFuzzer(fuzzPreset)
