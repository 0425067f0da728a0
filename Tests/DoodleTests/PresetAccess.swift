import Doodle
import Net
import Patches

/// Typed reads and writes of render keys, for the tests' assertions (the library reads them
/// through the parameter table).
extension Preset {
    private func typed<T>(_ key: PresetKey, _ read: (RenderSettings) -> T) -> T? {
        self[key] == nil ? nil : read(restricted(to: { $0 == key }).renderSettings)
    }
    private mutating func put<T>(_ key: PresetKey, _ value: T?, _ write: (inout RenderSettings, T) -> Void) {
        guard let value else { self[key] = nil; return }
        var s = RenderSettings()
        write(&s, value)
        self[key] = key.parameter.field!.read(s)
    }
    var contentWeight: Float? { get { typed(.contentWeight) { $0.contentWeight } } set { put(.contentWeight, newValue) { $0.contentWeight = $1 } } }
    var styleWeight: Float? { get { typed(.styleWeight) { $0.styleWeight } } set { put(.styleWeight, newValue) { $0.styleWeight = $1 } } }
    var semanticWeight: Float? { get { typed(.semanticWeight) { $0.semanticWeight } } set { put(.semanticWeight, newValue) { $0.semanticWeight = $1 } } }
    var smoothness: Float? { get { typed(.smoothness) { $0.smoothness } } set { put(.smoothness, newValue) { $0.smoothness = $1 } } }
    var variety: Float? { get { typed(.variety) { $0.variety } } set { put(.variety, newValue) { $0.variety = $1 } } }
    var contentLayers: [VGGLayer]? { get { typed(.contentLayers) { $0.contentLayers } } set { put(.contentLayers, newValue) { $0.contentLayers = $1 } } }
    var styleLayers: [VGGLayer]? { get { typed(.styleLayers) { $0.activeStyleLayers } } set { put(.styleLayers, newValue) { $0.styleLayers = $1 } } }
    var iterations: IterationSchedule? { get { typed(.iterations) { $0.iterations } } set { put(.iterations, newValue) { $0.iterations = $1 } } }
    var phases: Int? { get { typed(.phases) { $0.phases } } set { put(.phases, newValue) { $0.phases = $1 } } }
    var seedRange: ClosedRange<Float>? { get { typed(.seedRange) { $0.seedRange } } set { put(.seedRange, newValue) { $0.seedRange = $1 } } }
    var randomSeed: UInt64? { get { typed(.randomSeed) { $0.randomSeed } } set { put(.randomSeed, newValue) { $0.randomSeed = $1 } } }
    var pooling: Pooling2x2.Kind? { get { typed(.pooling) { $0.pooling } } set { put(.pooling, newValue) { $0.pooling = $1 } } }
    var matcher: MatcherKind? { get { typed(.matcher) { $0.matcher } } set { put(.matcher, newValue) { $0.matcher = $1 } } }
    var mapEncoding: RenderSettings.MapEncoding? { get { typed(.mapEncoding) { $0.mapEncoding } } set { put(.mapEncoding, newValue) { $0.mapEncoding = $1 } } }
}
