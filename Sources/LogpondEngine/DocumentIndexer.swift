import CSimdJSON
import Foundation
import LogpondAnalysis

/// Turns one JSON document into index entries: checks every field against the mapping (adding
/// dynamic fields as Elasticsearch would), then feeds terms and doc values to the builder.
/// A document that fails leaves neither the mapping nor the builder changed.
struct DocumentIndexer {
    /// Gap between the positions of array elements, Elasticsearch's position_increment_gap.
    static let positionIncrementGap: Int32 = 100

    /// Validates the document against `mapping`; returns the fields dynamic mapping adds.
    static func plan(_ events: UnsafeBufferPointer<lp_event>, _ arena: UnsafePointer<UInt8>, mapping: Mapping, docID: String,
                     cache: PathCache, totalFieldsLimit: Int = Limits.totalFieldsLimit, objects: ObjectMemo? = nil) throws -> [(String, FieldMapping)] {
        var added: [String: FieldMapping] = [:]
        var addedOrder: [String] = []
        var skipPrefix: String? = nil
        func add(_ p: String, _ f: FieldMapping) throws {
            var probe = mapping
            for k in addedOrder { probe.add(k, added[k]!) }
            if let c = probe.conflict(adding: p, as: f) { throw EngineError.mapperParsing(c) }
            if mapping.fieldCount + added.count + added.values.reduce(0, { $0 + $1.subFields.count }) + f.subFields.count + 1 > totalFieldsLimit {
                throw EngineError.illegalArgument("Limit of total fields [\(totalFieldsLimit)] has been exceeded while adding new fields [\(1 + f.subFields.count)]")
            }
            added[p] = f
            addedOrder.append(p)
        }
        let spans = objects?.spans ?? []
        var span = 0
        var i = 0
        while i < events.count {
            if span < spans.count && spans[span].start == i {
                let s = spans[span]
                span += 1
                // Recorded under this mapping version: its values passed these checks then.
                if s.entry != nil { i = s.end; continue }
            }
            let e = events[i]
            defer { i += 1 }
            guard e.path_len > 0 else {
                // Only the root object has an empty path; below it, an empty key.
                if e.depth > 0 { throw EngineError.mapperParsing("field name cannot be an empty string") }
                continue
            }
            let kind = FlatEvent.Kind(rawValue: e.kind)!
            if kind == .array { continue }
            // Used unretained: the cache holds its entries until a later resolve (issue 17).
            try cache.resolveRef(i, e, arena, mapping)._withUnsafeGuaranteedRef { entry in
                if entry.disabled { return }
                if let d = skipPrefix {
                    if entry.path.hasPrefix(d) { return }
                    skipPrefix = nil
                }
                if Int(e.depth) > Limits.mappingDepthLimit {
                    throw EngineError.illegalArgument("The depth of the field has exceeded the allowed limit of [\(Limits.mappingDepthLimit)].")
                }
                // Mapped fields (nearly every event) are checked from the entry's precomputed flags;
                // copying the FieldMapping out cost a retain per string in it.
                if kind == .string && Int(e.str_len) > Limits.maxKeywordTermBytes {
                    try checkLongKeyword(e, entry.targets.map { ($0.storage, $0.ignoreAbove) }, path: entry.path)
                }
                if entry.isMapped {
                    if kind == .null { return }
                    if (kind == .object) != entry.isObject { try shapeMismatch(kind, entry.mapping!, path: entry.path, docID: docID) }
                    if kind == .object { if entry.objectDisabled { skipPrefix = entry.path + "." } }
                    else if entry.validates { try validate(e, arena, entry.targets[0], docID: docID) }
                    return
                }
                let path = entry.path
                // A field the mapping does not know yet: its name must make a field a segment can
                // hold and a reader can open (checked before the document is acknowledged).
                try checkFieldPath(path)
                if let f = added[path] {
                    if kind == .null { return }
                    if (kind == .object) != (f.type == .object) { try shapeMismatch(kind, f, path: path, docID: docID) }
                    if kind == .object && !f.enabled { skipPrefix = path + "." }
                    if kind != .object { try validate(e, arena, f, formats: f.format.flatMap { DateFormats.compile($0) } ?? .standard, path: path, docID: docID) }
                    return
                }
                if kind == .null { return }   // a null never adds a mapping
                var dyn = mapping.dynamicSetting(for: path)
                if let parent = path.lastIndex(of: ".").map({ String(path[..<$0]) }), let a = added[parent]?.dynamic { dyn = a }
                switch dyn {
                case "strict":
                    let parent = path.lastIndex(of: ".").map { String(path[..<$0]) } ?? "_doc"
                    throw EngineError.mapperParsing("[strict_dynamic_mapping_exception] mapping set to strict, dynamic introduction of [\(EngineError.clip(String(path.split(separator: ".").last ?? Substring(path)), max: 64))] within [\(parent)] is not allowed")
                case "false":
                    if kind == .object { skipPrefix = path + "." }
                    return
                default: break
                }
                let f = try dynamicMapping(e, arena, kind, mapping, path: path)
                if kind == .string && Int(e.str_len) > Limits.maxKeywordTermBytes {
                    let all = [f] + f.subFields.values
                    try checkLongKeyword(e, all.map { (fieldStorage($0), $0.ignoreAbove ?? Int.max) }, path: path)
                }
                try add(path, f)
                if f.type == .object && !f.enabled { skipPrefix = path + "." }
            }
        }
        return addedOrder.map { ($0, added[$0]!) }
    }

    /// A string over Lucene's term limit: refused unless every keyword target it would become
    /// a term of drops it through `ignore_above` (Elasticsearch's "immense term" rule).
    static func checkLongKeyword(_ e: lp_event, _ targets: [(FieldType.Storage?, Int)], path: String) throws {
        for (storage, ignoreAbove) in targets where storage == .keyword && ignoreAbove >= Limits.maxKeywordTermBytes / 4 {
            // ignore_above counts characters: a value can be over the byte limit and under it.
            throw EngineError.illegalArgument("Document contains at least one immense term in field=\"\(EngineError.clip(path, max: 64))\" (whose UTF8 encoding is longer than the max length \(Limits.maxKeywordTermBytes)); set ignore_above on the field or shorten the value")
        }
    }

    /// Elasticsearch's rules for a new field's dotted path: no empty part (`a..b`, `.a`, `a.`),
    /// no part made only of white space, and no longer than `Limits.maxFieldPathBytes`.
    static func checkFieldPath(_ path: String) throws {
        let u = path.utf8
        guard u.count <= Limits.maxFieldPathBytes else {
            throw EngineError.mapperParsing("field name [\(EngineError.clip(path, max: 64))] is \(u.count) bytes long; the limit is \(Limits.maxFieldPathBytes)")
        }
        if u.first == UInt8(ascii: ".") || u.last == UInt8(ascii: ".") || path.contains("..") {
            throw EngineError.mapperParsing("object field starting or ending with a [.] makes object resolution ambiguous: [\(EngineError.clip(path, max: 64))]")
        }
        for part in path.split(separator: ".") where part.allSatisfy({ $0.isWhitespace }) {
            throw EngineError.mapperParsing("field name cannot contain only whitespace: [\(EngineError.clip(path, max: 64))]")
        }
    }

    /// Elasticsearch's name for the JSON type of a new field, as dynamic templates match it.
    static func jsonType(_ e: lp_event, _ arena: UnsafePointer<UInt8>, _ kind: FlatEvent.Kind, _ m: Mapping) -> (String, FieldMapping) {
        switch kind {
        case .object: return ("object", FieldMapping(type: .object))
        case .int: return ("long", FieldMapping(type: .long))
        case .uint, .double: return ("double", FieldMapping(type: .float))
        case .true, .false: return ("boolean", FieldMapping(type: .boolean))
        default:
            let s = e.string(arena)
            if m.dateDetection && looksLikeDate(s, m) { return ("date", FieldMapping(type: .date)) }
            if m.numericDetection {
                let str = String(decoding: s, as: UTF8.self)
                if Int64(str) != nil { return ("long", FieldMapping(type: .long)) }
                if Double(str) != nil { return ("double", FieldMapping(type: .float)) }
            }
            return ("string", .dynamicString)
        }
    }

    static func looksLikeDate(_ s: UnsafeBufferPointer<UInt8>, _ m: Mapping) -> Bool {
        if !m.dynamicDateFormats.isEmpty {
            return m.dynamicDateFormats.contains { DateFormats.compile($0)?.parse(s) != nil }
        }
        guard s.count >= 10, s[4] == UInt8(ascii: "-") || s[4] == UInt8(ascii: "/") else { return false }
        return DateParser.parseISONanos(s) != nil || slashDate(s) != nil
    }

    static func dynamicMapping(_ e: lp_event, _ arena: UnsafePointer<UInt8>, _ kind: FlatEvent.Kind, _ m: Mapping, path: String) throws -> FieldMapping {
        let (jt, def) = jsonType(e, arena, kind, m)
        for t in m.dynamicTemplates where t.matches(path: path, jsonType: jt) {
            var body = t.resolvedMapping(path: path, jsonType: jt)
            if kind == .object {
                var obj = FieldMapping(type: .object)
                if let en = body["enabled"] { obj.enabled = MappingJSON.boolValue(en) ?? true }
                if let dy = body["dynamic"] { obj.dynamic = MappingJSON.dynamicValue(dy) }
                return obj
            }
            if body["type"] == nil {
                body["type"] = jt == "string" ? "text" : jt == "double" ? "float" : jt
            }
            var f = try MappingJSON.parseField(body, name: path)
            if jt == "string", body["fields"] == nil, (body["type"] as? String) == nil { f.subFields = def.subFields }
            return f
        }
        return def
    }

    /// `yyyy/MM/dd HH:mm:ss` or `yyyy/MM/dd`, Elasticsearch's second dynamic date format.
    static func slashDate(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        var b = Array(s)
        guard b.count == 10 || b.count == 19, b[4] == UInt8(ascii: "/"), b[7] == UInt8(ascii: "/") else { return nil }
        b[4] = UInt8(ascii: "-"); b[7] = UInt8(ascii: "-")
        if b.count == 19 { guard b[10] == UInt8(ascii: " ") else { return nil }; b[10] = UInt8(ascii: "T") }
        return b.withUnsafeBufferPointer { DateParser.parseISO($0) }
    }

    /// The error for an object where the mapping has a value, or a value where it has an object.
    static func shapeMismatch(_ kind: FlatEvent.Kind, _ f: FieldMapping, path: String, docID: String) throws -> Never {
        if kind == .object {
            throw EngineError.mapperParsing("failed to parse field [\(path)] of type [\(f.type.rawValue)] in document with id '\(EngineError.clip(docID, max: 64))'. Preview of field's value: '{...}'")
        }
        throw EngineError.mapperParsing("object mapping for [\(path)] tried to parse field [\(path)] as object, but found a concrete value")
    }

    static func validate(_ e: lp_event, _ arena: UnsafePointer<UInt8>, _ target: PathCache.Target, docID: String) throws {
        // The common case (a value that converts) reads only the target's copied-out fields.
        switch target.type.storage {
        case .integer, .floating, .date, .boolean:
            if convert(e, arena, type: target.type, hasFormat: target.hasFormat, formats: target.formats) != nil { return }
        case .keyword where target.type != .ip: return
        default: break
        }
        try validate(e, arena, target.mapping, formats: target.formats, path: target.path, docID: docID)
    }

    static func validate(_ e: lp_event, _ arena: UnsafePointer<UInt8>, _ f: FieldMapping, formats: DateFormats, path: String, docID: String) throws {
        let kind = FlatEvent.Kind(rawValue: e.kind)!
        let bad: Bool
        switch f.type.storage {
        case .integer, .floating, .date, .boolean: bad = convert(e, arena, f, formats: formats) == nil
        case .keyword where f.type == .ip: bad = kind != .string || IPAddress.term(String(decoding: e.string(arena), as: UTF8.self)) == nil
        default: bad = false
        }
        if bad {
            let preview = kind == .string ? EngineError.clip(String(decoding: e.string(arena), as: UTF8.self), max: 64) : scalarString(e, arena)
            let what = f.type == .ip ? "'\(preview)' is not an IP string literal." : "Preview of field's value: '\(preview)'"
            throw EngineError.mapperParsing("failed to parse field [\(path)] of type [\(f.type.rawValue)] in document with id '\(EngineError.clip(docID, max: 64))'. \(what)")
        }
    }

    /// The doc value of a leaf for numeric, date and boolean fields (dates in the field's unit:
    /// millis for `date`, nanos for `date_nanos`).
    static func convert(_ e: lp_event, _ arena: UnsafePointer<UInt8>, _ f: FieldMapping, formats: DateFormats) -> Int64? {
        convert(e, arena, type: f.type, hasFormat: f.format != nil, formats: formats)
    }

    static func convert(_ e: lp_event, _ arena: UnsafePointer<UInt8>, type: FieldType, hasFormat: Bool, formats: DateFormats) -> Int64? {
        let kind = FlatEvent.Kind(rawValue: e.kind)!
        switch type.storage {
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
            guard let r = type.integerRange, r.contains(v) else { return nil }
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
            let parsed: (seconds: Int64, nanos: Int64)?
            switch kind {
            case .int, .uint, .double: parsed = formats.parse(number: e.d)
            case .string: parsed = formats.parse(e.string(arena)) ?? (!hasFormat ? slashDate(e.string(arena)).map { (DateFormats.floorDiv($0, 1000), DateFormats.floorMod($0, 1000) * 1_000_000) } : nil)
            default: parsed = nil
            }
            guard let (sec, nanos) = parsed else { return nil }
            if type == .dateNanos {
                guard sec >= 0, sec < 9_223_372_036 else { return nil }   // date_nanos covers 1970..2262
                return sec * 1_000_000_000 + nanos
            }
            return sec * 1000 + nanos / 1_000_000
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
    static func add(_ events: UnsafeBufferPointer<lp_event>, _ arena: UnsafePointer<UInt8>, mapping: Mapping, builder: SegmentBuilder, doc: Int32,
                    cache: PathCache, analysis: AnalysisRegistry = .builtIn, objects: ObjectMemo? = nil) {
        let spans = objects?.spans ?? []
        var span = 0
        var recording: ObjectMemo.Span? = nil
        var i = 0
        while i < events.count {
            if let r = recording, i == r.end { objects?.finish(r, doc: doc, arena: arena); recording = nil }
            if let objects, span < spans.count && spans[span].start == i {
                let s = spans[span]
                span += 1
                if let entry = s.entry {
                    if objects.replay(entry, doc: doc) { i = s.end; continue }
                } else if objects.enabled {
                    recording = s
                }
            }
            let e = events[i]
            i += 1
            guard e.path_len > 0 else { continue }
            let kind = FlatEvent.Kind(rawValue: e.kind)!
            if kind == .array || kind == .object { continue }
            let recorder = recording == nil ? nil : objects
            // The entry, its targets and their builder fields are used unretained: the cache
            // holds its entries, an entry its targets, a target its field, and none is replaced
            // while this value is indexed.
            cache.resolveRef(i, e, arena, mapping)._withUnsafeGuaranteedRef { entry in
                guard !entry.disabled else { return }
                for ref in entry.targetRefs {
                    ref._withUnsafeGuaranteedRef { target in
                        addTarget(e, kind, arena, target, builder: builder, doc: doc, cache: cache, analysis: analysis, recorder: recorder)
                    }
                }
            }
        }
        if let r = recording { objects?.finish(r, doc: doc, arena: arena) }
    }

    /// One value of event `e` into one of its targets (the field or a multi-field).
    @inline(__always) static func addTarget(_ e: lp_event, _ kind: FlatEvent.Kind, _ arena: UnsafePointer<UInt8>, _ target: PathCache.Target,
                                            builder: SegmentBuilder, doc: Int32, cache: PathCache, analysis: AnalysisRegistry, recorder: ObjectMemo?) {
        guard let storage = target.storage else { return }
        // A null indexes the field's null_value (at most `Limits.maxKeywordTermBytes`, checked
        // where the mapping is parsed), or nothing: no builder field is made for it then.
        var nullValue: String? = nil
        if kind == .null { guard let nv = target.mapping.nullValue else { return }; nullValue = nv }
        cache.fieldRef(target, builder, storage)._withUnsafeGuaranteedRef { fb in
            recorder?.touch(fb, doc: doc, isTimestamp: target.isTimestamp)
            guard var nv = nullValue else { return addValue(e, arena, target, field: fb, builder: builder, doc: doc, analysis: analysis) }
            nv.withUTF8 { buf in
                var ne = e
                ne.kind = FlatEvent.Kind.string.rawValue
                ne.str_off = 0
                ne.str_len = UInt32(buf.count)
                if let base = buf.baseAddress { addValue(ne, base, target, field: fb, builder: builder, doc: doc, analysis: analysis) }
            }
        }
    }

    /// The builder storage a value goes to, or nil when the value is not indexed at all.
    @inline(__always) static func fieldStorage(_ f: FieldMapping) -> FieldType.Storage? {
        switch f.type.storage {
        case .text: return f.index ? .text : nil
        case .object: return nil
        default: return f.type.storage
        }
    }

    static func addValue(_ e: lp_event, _ arena: UnsafePointer<UInt8>, _ target: PathCache.Target, field fb: SegmentBuilder.FieldBuilder,
                         builder: SegmentBuilder, doc: Int32, analysis: AnalysisRegistry) {
        let kind = FlatEvent.Kind(rawValue: e.kind)!
        switch target.storage {
        case .text?:
            guard kind == .string || kind == .int || kind == .double || kind == .uint || kind == .true || kind == .false else { return }
            // A second value of the same field in one document (array, repeated key) continues
            // after position_increment_gap.
            let base = fb.nextPositionDoc == doc ? fb.nextPosition : 0
            var last: Int32 = base - 1
            // The closure goes straight to `analyze` (not through a variable): a stored closure
            // escapes, and its captured state was boxed on the heap for every value.
            if kind == .string {
                let value = e.string(arena)
                if fb.tokenCache.enabled && value.count >= Limits.tokenCacheMinValueBytes && value.count <= Limits.tokenCacheMaxValueBytes {
                    let h = SourceValues.hash(value, 0, value.count)
                    if let cached = fb.tokenCache.lookup(value, hash: h) {
                        for (t, pos) in cached.tokens {
                            fb.addInterned(t, doc: doc, position: base + pos)
                            last = base + pos
                        }
                    } else {
                        var tokens: [(term: Int32, position: Int32)] = []
                        target.resolvedAnalyzer(analysis).analyze(value) { tok, pos, _, _ in
                            tokens.append((fb.addTerm(tok, doc: doc, position: base + pos), pos))
                            last = base + pos
                        }
                        fb.tokenCache.insert(value, hash: h, tokens: tokens)
                    }
                } else {
                    target.resolvedAnalyzer(analysis).analyze(value) { tok, pos, _, _ in
                        fb.addTerm(tok, doc: doc, position: base + pos)
                        last = base + pos
                    }
                }
            } else {
                let s = Array(scalarString(e, arena).utf8)
                s.withUnsafeBufferPointer {
                    target.resolvedAnalyzer(analysis).analyze($0) { tok, pos, _, _ in
                        fb.addTerm(tok, doc: doc, position: base + pos)
                        last = base + pos
                    }
                }
            }
            fb.nextPositionDoc = doc
            fb.nextPosition = last + 1 + positionIncrementGap
        case .keyword?:
            if target.type == .ip {
                guard kind == .string, let term = IPAddress.term(String(decoding: e.string(arena), as: UTF8.self)) else { return }
                fb.addTerm(term, doc: doc, position: 0)
                return
            }
            switch kind {
            case .string:
                let b = e.string(arena)
                if b.count > target.ignoreAbove, characterCount(b) > target.ignoreAbove { return }
                if let n = target.normalizer {
                    fb.addTerm(analysis.normalize(String(decoding: b, as: UTF8.self), with: n), doc: doc, position: 0)
                } else {
                    fb.addTerm(b, doc: doc, position: 0)
                }
            case .int, .uint, .double, .true, .false:
                let s = scalarString(e, arena)
                if s.count > target.ignoreAbove { return }
                fb.addTerm(s, doc: doc, position: 0)
            default: return
            }
        case .integer?, .floating?, .date?, .boolean?:
            guard let v = convert(e, arena, type: target.type, hasFormat: target.hasFormat, formats: target.formats) else { return }
            fb.addNumeric(v, doc: doc)
            if target.storage == .boolean { fb.addTerm(v == 1 ? "true" : "false", doc: doc, position: 0) }
            if target.isTimestamp {
                builder.setTimestamp(doc, target.type == .dateNanos ? DateFormats.floorDiv(v, 1_000_000) : v)
            }
        case .object?, nil: return
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
