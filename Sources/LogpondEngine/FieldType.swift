/// Elasticsearch field types the engine stores and indexes.
public enum FieldType: String, Sendable, CaseIterable {
    case text, keyword, long, integer, short, byte, double, float
    case halfFloat = "half_float", scaledFloat = "scaled_float"
    case boolean, date, dateNanos = "date_nanos", ip, object

    /// How values of the type are kept in doc values and postings.
    public enum Storage: UInt8, Sendable { case text = 1, keyword = 2, integer = 3, floating = 4, boolean = 5, date = 6, object = 7 }

    public var storage: Storage {
        switch self {
        case .text: return .text
        case .keyword, .ip: return .keyword
        case .long, .integer, .short, .byte: return .integer
        case .double, .float, .halfFloat, .scaledFloat: return .floating
        case .boolean: return .boolean
        case .date, .dateNanos: return .date
        case .object: return .object
        }
    }

    /// Inclusive bounds of the integer types, used to reject out-of-range values like Elasticsearch.
    public var integerRange: ClosedRange<Int64>? {
        switch self {
        case .long: return Int64.min...Int64.max
        case .integer: return Int64(Int32.min)...Int64(Int32.max)
        case .short: return Int64(Int16.min)...Int64(Int16.max)
        case .byte: return Int64(Int8.min)...Int64(Int8.max)
        default: return nil
        }
    }
}

/// The mapping of one leaf field (or object) as Elasticsearch would show it.
public struct FieldMapping: Sendable, Equatable {
    public var type: FieldType
    public var index: Bool = true
    public var docValues: Bool = true
    public var ignoreAbove: Int? = nil
    public var analyzer: String? = nil
    public var format: String? = nil
    public var searchAnalyzer: String? = nil
    public var normalizer: String? = nil
    /// `null_value`: what a JSON null indexes as (keyword, numbers, dates, booleans).
    public var nullValue: String? = nil
    /// Text: `fielddata: true` lets aggregations and sorting use the analyzed terms,
    /// uninverted from the postings per segment when first asked (`Segment.fielddata`).
    public var fielddata = false
    /// `scaling_factor` of scaled_float (values are kept as doubles; the factor is reported).
    public var scalingFactor: Double? = nil
    /// Objects: `enabled: false` keeps the subtree in `_source` only.
    public var enabled = true
    /// Objects: `dynamic` for fields below this object (nil: inherit).
    public var dynamic: String? = nil
    /// Multi-fields (`fields`), e.g. `keyword` under a dynamic text field.
    public var subFields: [String: FieldMapping] = [:]

    public init(type: FieldType, index: Bool = true, docValues: Bool = true, ignoreAbove: Int? = nil,
                analyzer: String? = nil, format: String? = nil, subFields: [String: FieldMapping] = [:]) {
        self.type = type; self.index = index; self.docValues = docValues; self.ignoreAbove = ignoreAbove
        self.analyzer = analyzer; self.format = format; self.subFields = subFields
    }

    /// What dynamic mapping gives a JSON string: text with a `.keyword` sub-field.
    public static var dynamicString: FieldMapping {
        FieldMapping(type: .text, subFields: ["keyword": FieldMapping(type: .keyword, ignoreAbove: Limits.dynamicKeywordIgnoreAbove)])
    }
}
