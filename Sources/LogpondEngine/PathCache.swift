import CSimdJSON
import LogpondAnalysis
#if canImport(Glibc)
import Glibc
#endif

/// Remembers, per event position, the last document's field paths and what they resolved to.
/// Log documents of one source share their shape, so most events match the cached path by a
/// byte comparison and skip building a String and looking the mapping up. Documents of
/// different sources interleave, and a pod's labels and annotations shift every later
/// position: a position that misses finds its path's entry by a hash of the path bytes, so
/// the mapping decisions are made once per distinct path, not once per document.
final class PathCache {
    /// One field a value goes to (the field or one of its multi-fields), with what indexing
    /// needs from its mapping worked out once: reading the mapping struct per value copied it,
    /// retaining its eight strings and dictionary each time.
    final class Target {
        let mapping: FieldMapping
        let path: String
        /// The builder storage values go to; nil when the field is not indexed.
        let storage: FieldType.Storage?
        /// `ignore_above`, or Int.max.
        let ignoreAbove: Int
        /// Date fields: the compiled `format`.
        let formats: DateFormats
        /// `@timestamp` as a date: its millis also sort the segment.
        let isTimestamp: Bool
        /// What indexing reads of the mapping per value, copied out once: reading them through
        /// `mapping` copied the optional struct (an outlined copy and destroy per value, 8% of
        /// the seed-shaped ingest).
        let type: FieldType
        let normalizer: String?
        let hasFormat: Bool
        /// Text fields: the analyzer, resolved on first use (the registry is per index).
        private var analyzer: Analyzer?
        /// The analyzer, resolved now if not yet. Called only where a value is analysed: copying
        /// the existential out for every value, cached tokens or not, was 1% of a seed-shaped
        /// ingest's indexing time.
        @inline(__always) func resolvedAnalyzer(_ analysis: AnalysisRegistry) -> Analyzer {
            if let a = analyzer { return a }
            let a = mapping.analyzer.flatMap { analysis.analyzer($0) } ?? Analyzers.standard
            analyzer = a
            return a
        }
        /// The builder field, held here; `fieldRef` hands it out without a retain.
        var field: SegmentBuilder.FieldBuilder? { didSet { fieldRef = field.map { Unmanaged.passUnretained($0) } } }
        private(set) var fieldRef: Unmanaged<SegmentBuilder.FieldBuilder>?
        init(mapping: FieldMapping, path: String) {
            self.mapping = mapping; self.path = path
            storage = DocumentIndexer.fieldStorage(mapping)
            ignoreAbove = mapping.ignoreAbove ?? Int.max
            formats = mapping.format.flatMap { DateFormats.compile($0) } ?? .standard
            isTimestamp = path == SegmentFormat.timestampField && mapping.type.storage == .date
            type = mapping.type
            normalizer = mapping.normalizer
            hasFormat = mapping.format != nil
        }
    }
    /// A class, so handing an entry out costs one retain, not one per field inside (copying
    /// the struct it was made ingest spend 5% of its time retaining and releasing).
    final class Entry {
        let bytes: [UInt8]
        let path: String
        let mapping: FieldMapping?
        /// `mapping != nil`, without copying the optional struct per event.
        let isMapped: Bool
        /// Under an object with `enabled: false`: kept in `_source` only.
        let disabled: Bool
        /// The field itself and its multi-fields, with their builder fields once resolved.
        let targets: [Target]
        /// The same, unretained (`targets` holds them): indexing visits them per value, and a
        /// retain and release per visit were 96 pairs a seed-shaped document (issue 17).
        let targetRefs: [Unmanaged<Target>]
        /// Mapped as an object (a concrete value here is a mapping error).
        let isObject: Bool
        /// An object mapped with `enabled: false`.
        let objectDisabled: Bool
        /// Values must convert (numbers, dates, booleans, IPs) before the document is accepted.
        let validates: Bool
        init(bytes: [UInt8], path: String, mapping: FieldMapping?, disabled: Bool, targets: [Target]) {
            self.bytes = bytes; self.path = path; self.mapping = mapping; self.disabled = disabled; self.targets = targets
            targetRefs = targets.map { Unmanaged.passUnretained($0) }
            isMapped = mapping != nil
            isObject = mapping?.type == .object
            objectDisabled = mapping.map { $0.type == .object && !$0.enabled } ?? false
            switch mapping?.type.storage {
            case .integer?, .floating?, .date?, .boolean?: validates = true
            default: validates = mapping?.type == .ip
            }
        }
    }

    private(set) var entries: [Entry] = []
    /// Every entry made since the last reset, by a hash of its path bytes (a collision keeps
    /// the newer one; the older is still found by position or made again).
    private var byPath: [UInt64: Entry] = [:]
    /// Every entry made since the last reset, so a new builder clears all their fields.
    private var made: [Entry] = []
    /// The builder the cached fields belong to, by serial: a weak reference cost a
    /// `swift_weakLoadStrong` per field per document (1% of ingest).
    private var builderSerial: UInt64 = 0

    /// Forgets everything (the mapping changed).
    func reset() {
        entries.removeAll(keepingCapacity: true)
        byPath.removeAll(keepingCapacity: true)
        made.removeAll(keepingCapacity: true)
    }

    /// FNV-1a over the path bytes: paths are short, and this runs on every positional miss.
    @inline(__always) static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in p { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    @inline(__always) static func same(_ a: [UInt8], _ p: UnsafeBufferPointer<UInt8>) -> Bool {
        a.withUnsafeBufferPointer { b in b.count == p.count && (p.count == 0 || memcmp(b.baseAddress!, p.baseAddress!, p.count) == 0) }
    }

    private func remember(_ entry: Entry, at i: Int) {
        if i < entries.count { entries[i] = entry } else {
            while entries.count < i { entries.append(Entry(bytes: [0xFF, 0xFF], path: "", mapping: nil, disabled: false, targets: [])) }
            entries.append(entry)
        }
    }

    /// The entry for event `i`, resolved against `mapping`, unretained: the cache holds every
    /// entry it made until the next `reset`, which only a later call can make.
    @inline(__always) func resolveRef(_ i: Int, _ e: lp_event, _ arena: UnsafePointer<UInt8>, _ mapping: Mapping) -> Unmanaged<Entry> {
        let p = e.path(arena)
        if i < entries.count {
            let known = Unmanaged.passUnretained(entries[i])
            if known._withUnsafeGuaranteedRef({ Self.same($0.bytes, p) }) { return known }
        }
        return Unmanaged.passUnretained(resolveMiss(i, p, mapping))
    }

    /// A path not at its last position: found by its hash, or resolved and remembered.
    private func resolveMiss(_ i: Int, _ p: UnsafeBufferPointer<UInt8>, _ mapping: Mapping) -> Entry {
        let h = Self.hash(p)
        if let known = byPath[h], Self.same(known.bytes, p) {
            remember(known, at: i)
            return known
        }
        // Documents whose paths never repeat (random keys under a `dynamic: false` object)
        // would grow the cache without end: past the limit it starts again.
        if made.count >= Limits.pathCacheEntries { reset() }
        let path = String(decoding: p, as: UTF8.self)
        let m = mapping[path]
        var targets: [Target] = []
        if let m, m.type != .object {
            targets.append(Target(mapping: m, path: path))
            for (sub, sm) in m.subFields.sorted(by: { $0.key < $1.key }) { targets.append(Target(mapping: sm, path: path + "." + sub)) }
        }
        let entry = Entry(bytes: Array(p), path: path, mapping: m, disabled: mapping.isDisabled(path), targets: targets)
        remember(entry, at: i)
        byPath[h] = entry
        made.append(entry)
        return entry
    }

    /// Lets go of the replaced builder's fields. Without this an index no longer written to (a
    /// past day) kept its last write buffer's terms and postings alive through these
    /// references: about 5 MB per index, 200 MB at 30 daily indices (issue 17).
    func forgetBuilder() {
        builderSerial = 0
        // Every entry made since the reset (positions hold only some of them).
        for entry in made { for t in entry.targets { t.field = nil } }
    }

    /// The builder field for `target`, cached until the builder is replaced, unretained:
    /// `target.field` holds it until then (the next call with another builder), so it is valid
    /// for the value being indexed.
    @inline(__always) func fieldRef(_ target: Target, _ builder: SegmentBuilder, _ storage: FieldType.Storage) -> Unmanaged<SegmentBuilder.FieldBuilder> {
        if builderSerial != builder.serial {
            forgetBuilder()
            builderSerial = builder.serial
        }
        if let f = target.fieldRef { return f }
        target.field = builder.field(target.path, storage)
        return target.fieldRef!
    }
}
