import CSimdJSON
import LogpondAnalysis

/// Turns one JSON document into index entries: checks every field against the mapping (adding
/// dynamic fields as Elasticsearch would), then feeds terms and doc values to the builder.
/// A document that fails leaves neither the mapping nor the builder changed.
struct DocumentIndexer {
    /// Gap between the positions of array elements, Elasticsearch's position_increment_gap.
    static let positionIncrementGap: Int32 = 100

    /// Validates `source` against `mapping`; returns the fields dynamic mapping adds.
    static func plan(_ events: UnsafeBufferPointer<lp_event>, _ arena: UnsafePointer<UInt8>, mapping: Mapping, docID: String, cache: PathCache) throws -> [(String, FieldMapping)] {
        var added: [String: FieldMapping] = [:]
        var addedOrder: [String] = []
        var disabledPrefix: String? = nil
        func lookup(_ p: String) -> FieldMapping? { mapping[p] ?? added[p] }
        func add(_ p: String, _ f: FieldMapping) throws {
            var probe = mapping
            for k in addedOrder { probe.add(k, added[k]!) }
            if let c = probe.conflict(adding: p, as: f) { throw EngineError.mapperParsing(c) }
            if mapping.fieldCount + added.count + f.subFields.count + 1 > Limits.totalFieldsLimit {
                throw EngineError.illegalArgument("Limit of total fields [\(Limits.totalFieldsLimit)] has been exceeded while adding new fields [1]")
            }
            added[p] = f
            addedOrder.append(p)
        }
        for (i, e) in events.enumerated() {
            guard e.path_len > 0 else { continue }
            let kind = FlatEvent.Kind(rawValue: e.kind)!
            if kind == .array || kind == .null { continue }
            let entry = cache.resolve(i, e, arena, mapping)
            let path = entry.path
            if let d = disabledPrefix, path.hasPrefix(d) { continue }
            if Int(e.depth) > Limits.mappingDepthLimit {
                throw EngineError.illegalArgument("The depth of the field has exceeded the allowed limit of [\(Limits.mappingDepthLimit)].")
            }
            if let f = entry.mapping ?? added[path] {
                if (kind == .object) != (f.type == .object) {
                    if kind == .object {
                        throw EngineError.mapperParsing("failed to parse field [\(path)] of type [\(f.type.rawValue)] in document with id '\(EngineError.clip(docID, max: 64))'. Preview of field's value: '{...}'")
                    }
                    throw EngineError.mapperParsing("object mapping for [\(path)] tried to parse field [\(path)] as object, but found a concrete value")
                }
                if kind != .object { try validate(e, arena, f, path: path, docID: docID) }
                continue
            }
            switch mapping.dynamic {
            case "strict":
                throw EngineError.mapperParsing("mapping set to strict, dynamic introduction of [\(path)] within [_doc] is not allowed")
            case "false":
                if kind == .object { disabledPrefix = path + "." }
                continue
            default: break
            }
            try add(path, dynamicMapping(e, arena, kind, mapping))
        }
        return addedOrder.map { ($0, added[$0]!) }
    }

    static func dynamicMapping(_ e: lp_event, _ arena: UnsafePointer<UInt8>, _ kind: FlatEvent.Kind, _ m: Mapping) -> FieldMapping {
        switch kind {
        case .object: return FieldMapping(type: .object)
        case .int: return FieldMapping(type: .long)
        case .uint, .double: return FieldMapping(type: .float)
        case .true, .false: return FieldMapping(type: .boolean)
        case .string:
            let s = e.string(arena)
            if m.dateDetection, s.count >= 10, s[4] == UInt8(ascii: "-") || s[4] == UInt8(ascii: "/"), DateParser.parseISO(s) != nil || slashDate(s) != nil {
                return FieldMapping(type: .date)
            }
            if m.numericDetection, let str = Optional(String(decoding: s, as: UTF8.self)) {
                if Int64(str) != nil { return FieldMapping(type: .long) }
                if Double(str) != nil { return FieldMapping(type: .float) }
            }
            return .dynamicString
        default: return .dynamicString
        }
    }

    /// `yyyy/MM/dd HH:mm:ss` or `yyyy/MM/dd`, Elasticsearch's second dynamic date format.
    static func slashDate(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        var b = Array(s)
        guard b.count == 10 || b.count == 19, b[4] == UInt8(ascii: "/"), b[7] == UInt8(ascii: "/") else { return nil }
        b[4] = UInt8(ascii: "-"); b[7] = UInt8(ascii: "-")
        if b.count == 19 { guard b[10] == UInt8(ascii: " ") else { return nil }; b[10] = UInt8(ascii: "T") }
        return b.withUnsafeBufferPointer { DateParser.parseISO($0) }
    }

    static func validate(_ e: lp_event, _ arena: UnsafePointer<UInt8>, _ f: FieldMapping, path: String, docID: String) throws {
        let kind = FlatEvent.Kind(rawValue: e.kind)!
        switch f.type.storage {
        case .integer, .floating, .date, .boolean:
            if convert(e, arena, f) == nil {
                let preview = kind == .string ? EngineError.clip(String(decoding: e.string(arena), as: UTF8.self), max: 64) : "\(e.d)"
                throw EngineError.mapperParsing("failed to parse field [\(path)] of type [\(f.type.rawValue)] in document with id '\(EngineError.clip(docID, max: 64))'. Preview of field's value: '\(preview)'")
            }
        default: break
        }
    }

    /// The doc value of a leaf for numeric, date and boolean fields.
    static func convert(_ e: lp_event, _ arena: UnsafePointer<UInt8>, _ f: FieldMapping) -> Int64? {
        let kind = FlatEvent.Kind(rawValue: e.kind)!
        switch f.type.storage {
        case .integer:
            var v: Int64
            switch kind {
            case .int: v = e.i
            case .uint, .double:
                guard e.d.isFinite, e.d >= -9.2e18, e.d <= 9.2e18 else { return nil }
                v = Int64(e.d)
            case .string:
                let s = String(decoding: e.string(arena), as: UTF8.self)
                if let i = Int64(s) { v = i } else if let d = Double(s), d.isFinite, abs(d) < 9.2e18 { v = Int64(d) } else { return nil }
            default: return nil
            }
            guard let r = f.type.integerRange, r.contains(v) else { return nil }
            return v
        case .floating:
            let d: Double
            switch kind {
            case .int, .uint, .double: d = e.d
            case .string: guard let x = Double(String(decoding: e.string(arena), as: UTF8.self)) else { return nil }; d = x
            default: return nil
            }
            guard d.isFinite else { return nil }
            return Int64(bitPattern: d.bitPattern)
        case .date:
            switch kind {
            case .int: return e.i
            case .double, .uint: return e.d.isFinite ? Int64(e.d) : nil
            case .string:
                let s = e.string(arena)
                if let v = DateParser.parseISO(s) { return v }
                if let v = slashDate(s) { return v }
                if f.format?.contains("epoch") ?? true, let v = Int64(String(decoding: s, as: UTF8.self)) {
                    return f.format?.contains("epoch_second") == true && f.format?.contains("epoch_millis") != true ? v * 1000 : v
                }
                return nil
            default: return nil
            }
        case .boolean:
            switch kind {
            case .true: return 1
            case .false: return 0
            case .string:
                let s = String(decoding: e.string(arena), as: UTF8.self)
                return s == "true" ? 1 : s == "false" || s.isEmpty ? 0 : nil
            default: return nil
            }
        default: return nil
        }
    }

    /// Adds a validated document's fields to the builder.
    static func add(_ events: UnsafeBufferPointer<lp_event>, _ arena: UnsafePointer<UInt8>, mapping: Mapping, builder: SegmentBuilder, doc: Int32, cache: PathCache) {
        for (i, e) in events.enumerated() {
            guard e.path_len > 0 else { continue }
            let kind = FlatEvent.Kind(rawValue: e.kind)!
            if kind == .array || kind == .null || kind == .object { continue }
            let entry = cache.resolve(i, e, arena, mapping)
            for t in entry.targets.indices {
                let target = entry.targets[t]
                guard let storage = fieldStorage(e, target.mapping) else { continue }
                let fb = cache.field(i, t, builder, storage)
                addValue(e, arena, target.mapping, path: target.path, field: fb, builder: builder, doc: doc)
            }
        }
    }

    /// The builder storage a value goes to, or nil when the value is not indexed at all.
    @inline(__always) static func fieldStorage(_ e: lp_event, _ f: FieldMapping) -> FieldType.Storage? {
        switch f.type.storage {
        case .text: return f.index ? .text : nil
        case .object: return nil
        default: return f.type.storage
        }
    }

    static func addValue(_ e: lp_event, _ arena: UnsafePointer<UInt8>, _ f: FieldMapping, path: String, field fb: SegmentBuilder.FieldBuilder,
                         builder: SegmentBuilder, doc: Int32) {
        let kind = FlatEvent.Kind(rawValue: e.kind)!
        switch f.type.storage {
        case .text:
            guard f.index, kind == .string || kind == .int || kind == .double || kind == .true || kind == .false else { return }
            // A second value of the same field in one document (array, repeated key) continues
            // after position_increment_gap.
            let base = fb.nextPositionDoc == doc ? fb.nextPosition : 0
            var last: Int32 = base - 1
            let analyzer = f.analyzer.flatMap { Analyzers.named($0) } ?? Analyzers.standard
            let emit: (UnsafeBufferPointer<UInt8>, Int32, Int32, Int32) -> Void = { tok, pos, _, _ in
                fb.addTerm(tok, doc: doc, position: base + pos)
                last = base + pos
            }
            if kind == .string { analyzer.analyze(e.string(arena), emit: emit) }
            else { var s = Array(scalarString(e, arena).utf8); s.withUnsafeBufferPointer { analyzer.analyze($0, emit: emit) } }
            fb.nextPositionDoc = doc
            fb.nextPosition = last + 1 + positionIncrementGap
        case .keyword:
            switch kind {
            case .string:
                let b = e.string(arena)
                if let ia = f.ignoreAbove, b.count > ia, characterCount(b) > ia { return }
                fb.addTerm(b, doc: doc, position: 0)
            case .int, .uint, .double, .true, .false:
                let s = scalarString(e, arena)
                if let ia = f.ignoreAbove, s.count > ia { return }
                fb.addTerm(s, doc: doc, position: 0)
            default: return
            }
        case .integer, .floating, .date, .boolean:
            guard let v = convert(e, arena, f) else { return }
            fb.addNumeric(v, doc: doc)
            if f.type.storage == .boolean { fb.addTerm(v == 1 ? "true" : "false", doc: doc, position: 0) }
            if path == SegmentFormat.timestampField && f.type.storage == .date { builder.setTimestamp(doc, v) }
        case .object: return
        }
    }

    /// Characters as Elasticsearch counts them for ignore_above (UTF-16 code units).
    static func characterCount(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        var n = 0
        for c in b where c & 0xC0 != 0x80 { n += c >= 0xF0 ? 2 : 1 }
        return n
    }

    static func scalarString(_ e: lp_event, _ arena: UnsafePointer<UInt8>) -> String {
        switch FlatEvent.Kind(rawValue: e.kind)! {
        case .int: return String(e.i)
        case .uint, .double: return e.d == e.d.rounded() && abs(e.d) < 1e15 ? String(Int64(e.d)) : String(e.d)
        case .true: return "true"
        case .false: return "false"
        case .string: return String(decoding: e.string(arena), as: UTF8.self)
        default: return ""
        }
    }
}
