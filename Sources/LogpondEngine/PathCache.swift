import CSimdJSON
#if canImport(Glibc)
import Glibc
#endif

/// Remembers, per event position, the last document's field paths and what they resolved to.
/// Log documents of one source share their shape, so most events match the cached path by a
/// byte comparison and skip building a String and looking the mapping up.
final class PathCache {
    final class Target {
        let mapping: FieldMapping
        let path: String
        var field: SegmentBuilder.FieldBuilder?
        init(mapping: FieldMapping, path: String, field: SegmentBuilder.FieldBuilder?) { self.mapping = mapping; self.path = path; self.field = field }
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
        init(bytes: [UInt8], path: String, mapping: FieldMapping?, disabled: Bool, targets: [Target]) {
            self.bytes = bytes; self.path = path; self.mapping = mapping; self.disabled = disabled; self.targets = targets
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
            targets.append(Target(mapping: m, path: path, field: nil))
            for (sub, sm) in m.subFields.sorted(by: { $0.key < $1.key }) { targets.append(Target(mapping: sm, path: path + "." + sub, field: nil)) }
        }
        let entry = Entry(bytes: Array(p), path: path, mapping: m, disabled: mapping.isDisabled(path), targets: targets)
        if i < entries.count { entries[i] = entry } else {
            while entries.count < i { entries.append(Entry(bytes: [0xFF, 0xFF], path: "", mapping: nil, disabled: false, targets: [])) }
            entries.append(entry)
        }
        return entry
    }

    /// The builder field for target `t` of entry `i`, cached until the builder is replaced.
    @inline(__always) func field(_ i: Int, _ t: Int, _ builder: SegmentBuilder, _ storage: FieldType.Storage) -> SegmentBuilder.FieldBuilder {
        if builderSerial != builder.serial {
            builderSerial = builder.serial
            for k in entries.indices { for j in entries[k].targets.indices { entries[k].targets[j].field = nil } }
        }
        if let f = entries[i].targets[t].field { return f }
        let f = builder.field(entries[i].targets[t].path, storage)
        entries[i].targets[t].field = f
        return f
    }
}
