import CSimdJSON
import LogpondAnalysis
#if canImport(Glibc)
import Glibc
#endif

/// Remembers, per event position, the last document's field paths and what they resolved to.
/// Log documents of one source share their shape, so most events match the cached path by a
/// byte comparison and skip building a String and looking the mapping up.
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
        /// Text fields: the analyzer, resolved on first use (the registry is per index).
        var analyzer: Analyzer?
        var field: SegmentBuilder.FieldBuilder?
        init(mapping: FieldMapping, path: String) {
            self.mapping = mapping; self.path = path
            storage = DocumentIndexer.fieldStorage(mapping)
            ignoreAbove = mapping.ignoreAbove ?? Int.max
            formats = mapping.format.flatMap { DateFormats.compile($0) } ?? .standard
            isTimestamp = path == SegmentFormat.timestampField && mapping.type.storage == .date
        }
    }
    /// A class, so handing an entry out costs one retain, not one per field inside (copying
    /// the struct it was made ingest spend 5% of its time retaining and releasing).
    final class Entry {
        let bytes: [UInt8]
        let path: String
        let mapping: FieldMapping?
        /// Under an object with `enabled: false`: kept in `_source` only.
        let disabled: Bool
        /// The field itself and its multi-fields, with their builder fields once resolved.
        let targets: [Target]
        /// Mapped as an object (a concrete value here is a mapping error).
        let isObject: Bool
        /// An object mapped with `enabled: false`.
        let objectDisabled: Bool
        /// Values must convert (numbers, dates, booleans, IPs) before the document is accepted.
        let validates: Bool
        init(bytes: [UInt8], path: String, mapping: FieldMapping?, disabled: Bool, targets: [Target]) {
            self.bytes = bytes; self.path = path; self.mapping = mapping; self.disabled = disabled; self.targets = targets
            isObject = mapping?.type == .object
            objectDisabled = mapping.map { $0.type == .object && !$0.enabled } ?? false
            switch mapping?.type.storage {
            case .integer?, .floating?, .date?, .boolean?: validates = true
            default: validates = mapping?.type == .ip
            }
        }
    }

    private(set) var entries: [Entry] = []
    /// The builder the cached fields belong to, by serial: a weak reference cost a
    /// `swift_weakLoadStrong` per field per document (1% of ingest).
    private var builderSerial: UInt64 = 0

    /// Forgets everything (the mapping changed).
    func reset() { entries.removeAll(keepingCapacity: true) }

    /// The entry for event `i`, resolved against `mapping`.
    @inline(__always) func resolve(_ i: Int, _ e: lp_event, _ arena: UnsafePointer<UInt8>, _ mapping: Mapping) -> Entry {
        let p = e.path(arena)
        if i < entries.count {
            let hit = entries[i].bytes.withUnsafeBufferPointer { b in
                b.count == p.count && (p.count == 0 || memcmp(b.baseAddress!, p.baseAddress!, p.count) == 0)
            }
            if hit { return entries[i] }
        }
        let path = String(decoding: p, as: UTF8.self)
        let m = mapping[path]
        var targets: [Target] = []
        if let m, m.type != .object {
            targets.append(Target(mapping: m, path: path))
            for (sub, sm) in m.subFields.sorted(by: { $0.key < $1.key }) { targets.append(Target(mapping: sm, path: path + "." + sub)) }
        }
        let entry = Entry(bytes: Array(p), path: path, mapping: m, disabled: mapping.isDisabled(path), targets: targets)
        if i < entries.count { entries[i] = entry } else {
            while entries.count < i { entries.append(Entry(bytes: [0xFF, 0xFF], path: "", mapping: nil, disabled: false, targets: [])) }
            entries.append(entry)
        }
        return entry
    }

    /// The builder field for `target`, cached until the builder is replaced.
    @inline(__always) func field(_ target: Target, _ builder: SegmentBuilder, _ storage: FieldType.Storage) -> SegmentBuilder.FieldBuilder {
        if builderSerial != builder.serial {
            builderSerial = builder.serial
            for k in entries.indices { for j in entries[k].targets.indices { entries[k].targets[j].field = nil } }
        }
        if let f = target.field { return f }
        let f = builder.field(target.path, storage)
        target.field = f
        return f
    }
}
