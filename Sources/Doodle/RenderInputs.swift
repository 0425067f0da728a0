import Patches

/// What a render is given. The mode follows from which inputs are present:
/// - doodle to artwork: style + style map + target map;
/// - semantic style transfer: style + style map + content + target map (the content's map);
/// - style transfer without maps: style + content;
/// - partial style transfer: style + content + a black-and-white mask of the content;
/// - texture synthesis: style alone, at `outputSize` (default: the style's size).
public struct RenderInputs: Sendable {
    public var style: Image
    public var styleMap: Image?
    public var content: Image?
    public var targetMap: Image?
    public var outputSize: (width: Int, height: Int)?
    /// Names shown in messages (file paths as the user typed them).
    public var names = Names()

    public struct Names: Sendable {
        public var style = "style", styleMap = "style map", content = "content", targetMap = "target map"
        public init() {}
    }

    public init(style: Image, styleMap: Image? = nil, content: Image? = nil, targetMap: Image? = nil,
                outputSize: (width: Int, height: Int)? = nil) {
        self.style = style
        self.styleMap = styleMap
        self.content = content
        self.targetMap = targetMap
        self.outputSize = outputSize
    }

    public enum Mode: String, Sendable {
        case doodle = "doodle to artwork"
        case semanticTransfer = "semantic style transfer"
        /// A black-and-white mask of the content: only its white part is painted.
        case partialTransfer = "partial style transfer"
        case transfer = "style transfer"
        case texture = "texture synthesis"
    }

    public var mode: Mode {
        if content != nil && targetMap != nil && styleMap == nil { return .partialTransfer }
        switch (content != nil, styleMap != nil && targetMap != nil) {
        case (false, true): return .doodle
        case (true, true): return .semanticTransfer
        case (true, false): return .transfer
        case (false, false): return .texture
        }
    }

    public var usesMaps: Bool { styleMap != nil && targetMap != nil }

    /// Whether a map has its image's shape (aspect ratios within 3%).
    public static func sameShape(_ a: Image, _ b: Image) -> Bool {
        abs((Double(a.width) / Double(a.height)) / (Double(b.width) / Double(b.height)) - 1) < 0.03
    }

    /// Size of the finished image.
    public var finalSize: (width: Int, height: Int) {
        if let outputSize { return outputSize }
        if let content { return (content.width, content.height) }
        if let targetMap { return (targetMap.width, targetMap.height) }
        return (style.width, style.height)
    }
}

/// A render that cannot start: one line naming the input and the fix.
public struct RenderError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
