import Foundation
import CSimdJSON
#if canImport(Glibc)
import Glibc
#endif

/// Heap bytes of every structure searches decoded from segments (term dictionaries, norms,
/// value tables, columns of older formats), process-wide.
public enum DecodedBytes {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var bytes = 0
    static func add(_ n: Int) { lock.withLock { bytes += n } }
    public static var total: Int { lock.withLock { bytes } }
}

/// Bounds what searches keep between requests (`logpond.search.memory_budget`): the pages of
/// segment files they touched (resident in this process until given back) and the structures
/// they decoded. After each search, when both together pass the budget, the segments searched
/// least recently give back their pages, then (if that was not enough) their decoded
/// structures, until a quarter of the budget is free again; the next search that needs them
/// maps the pages again from the page cache and decodes what it reads.
/// Without it a month of daily indices held what every dashboard had once looked at (1.2 GB
/// after q1–q8 over ten million records, issue 17).
final class SearchMemory: @unchecked Sendable {
    private final class Weak { weak var segment: Segment?; init(_ s: Segment) { segment = s } }
    private let lock = NSLock()
    private var tick: UInt64 = 0
    private var recent: [UInt64: (segment: Weak, tick: UInt64)] = [:]
    let budget: Int
    /// File pages resident before any search (the binary, its libraries): not the searches'.
    private let fileBaseline: Int
    private let residentFile: () -> Int

    /// `residentFile`: this process's resident file pages in bytes (tests count none).
    init(budget: Int, residentFile: @escaping () -> Int = SearchMemory.residentFileBytes) {
        self.budget = budget
        self.residentFile = residentFile
        fileBaseline = residentFile()
    }

    /// Bytes searches hold now, as the budget counts them.
    var heldBytes: Int { held(file: residentFile()) }

    private func held(file: Int) -> Int { DecodedBytes.total + max(0, file - fileBaseline) }

    private var fileReadAt: UInt64 = 0
    private var fileRead = 0
    /// `heldBytes` with the resident file pages read at most every
    /// `Limits.searchMemoryFileCheckNanos`: reading `/proc/self/statm` after every search was
    /// 5 µs of a 60 µs count (issue 17). What searches fault in meanwhile is counted at the next
    /// reading; giving memory back always reads afresh.
    private var heldBytesRecently: Int {
        let now = Clock.now()
        let file: Int = lock.withLock {
            if fileReadAt == 0 || Clock.elapsed(from: fileReadAt, to: now) >= Limits.searchMemoryFileCheckNanos {
                fileRead = residentFile(); fileReadAt = now
            }
            return fileRead
        }
        return held(file: file)
    }

    /// Records the segments a search used, then gives back the least recently searched ones'
    /// memory while over the budget. Returns how many segments gave back decoded structures.
    @discardableResult
    func searched(_ segments: [Segment]) -> Int {
        lock.withLock {
            tick += 1
            // An entry per segment once; later searches only move its tick (no allocation).
            for s in segments {
                if recent[s.cacheKey] != nil { recent[s.cacheKey]!.tick = tick } else { recent[s.cacheKey] = (Weak(s), tick) }
            }
            // Closed segments' entries, now and then (a merge replaces segments all the time).
            if tick % 64 == 0 { recent = recent.filter { $0.value.segment.segment != nil } }
        }
        guard heldBytesRecently > budget else { return 0 }
        var held = heldBytes
        let oldestFirst = lock.withLock { recent.sorted { $0.value.tick < $1.value.tick }.map { $0.value.segment } }
        let target = budget - budget / 4
        // Pages first: a later search faults them back from the page cache for little; decoded
        // structures cost a decode again, so they go only when they alone are past the target.
        var forgot = 0
        for weak in oldestFirst where held > target {
            guard let s = weak.segment else { continue }
            s.data.releaseResidentPages()
            held = heldBytes
        }
        for weak in oldestFirst where held > target {
            guard let s = weak.segment, s.forgetDecoded() > 0 else { continue }
            forgot += 1
            held = heldBytes
        }
        // Freed dictionaries go back to the system, not only to malloc's free lists.
        if forgot > 0 { lp_release_free_memory() }
        return forgot
    }

    /// This process's resident file-backed pages (`/proc/self/statm`'s third field: file and
    /// shared memory pages), in bytes; 0 where it cannot be read.
    static func residentFileBytes() -> Int {
        guard statm >= 0 else { return 0 }
        // Read after every search: one pread on a descriptor kept open, parsed without allocating.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buf -> Int in
            let n = pread(statm, buf.baseAddress, 127, 0)
            guard n > 0 else { return 0 }
            var field = 0, value = 0
            for i in 0..<n {
                let c = buf[i]
                if c == 32 { field += 1; if field == 3 { break }; continue }
                guard field == 2, c >= 48, c <= 57 else { continue }
                value = value &* 10 &+ Int(c - 48)
            }
            return value &* pageSize
        }
    }

    private static let statm: Int32 = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
}
