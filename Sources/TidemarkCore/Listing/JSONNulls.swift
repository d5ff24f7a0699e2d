/// JSON objects whose every key is there for scripts: nil properties as `null`.
public protocol EncodesNulls: Encodable {}

extension EncodesNulls {
    /// Encodes every stored property by its name, nil ones as null.
    public func encodeWithNulls(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: NamedKey.self)
        for child in Mirror(reflecting: self).children {
            guard let label = child.label else { continue }
            let inner = Mirror(reflecting: child.value)
            if inner.displayStyle == .optional && inner.children.isEmpty {
                try c.encodeNil(forKey: NamedKey(label))
            } else if let value = child.value as? any Encodable {
                try c.encode(value, forKey: NamedKey(label))
            }
        }
    }
}

/// A coding key by name.
struct NamedKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
