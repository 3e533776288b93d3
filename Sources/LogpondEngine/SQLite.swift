import CSQLite
import Foundation

/// A minimal SQLite connection: prepared statements with positional bindings. The catalog is
/// its only user and serialises access with its own lock.
final class SQLiteDB {
    enum Value { case int(Int64), text(String), blob([UInt8]), null }

    private var db: OpaquePointer?
    let path: String

    init(path: String) throws {
        self.path = path
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw EngineError.catalog("\(path): \(msg)")
        }
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { sqlite3_close(db) }

    func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? "unknown"
            sqlite3_free(err)
            throw failure(rc, msg)
        }
    }

    /// A full disk is its own error (the store answers 429 and frees its reserve); anything
    /// else is a catalog error.
    private func failure(_ rc: Int32, _ msg: String) -> EngineError {
        let sysErrno = sqlite3_system_errno(db)
        if rc & 0xFF == SQLITE_FULL || sysErrno == ENOSPC || sysErrno == EDQUOT { return .diskFull(path: path) }
        return .catalog(msg)
    }

    /// Runs a statement; returns all rows for queries.
    @discardableResult
    func run(_ sql: String, _ args: [Value] = []) throws -> [[Value]] {
        var stmt: OpaquePointer?
        let prc = sqlite3_prepare_v2(db, sql, -1, &stmt, nil)
        guard prc == SQLITE_OK else { throw failure(prc, String(cString: sqlite3_errmsg(db))) }
        defer { sqlite3_finalize(stmt) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (i, a) in args.enumerated() {
            let idx = Int32(i + 1)
            switch a {
            case .int(let v): sqlite3_bind_int64(stmt, idx, v)
            case .text(let s): sqlite3_bind_text(stmt, idx, s, -1, transient)
            case .blob(let b): _ = b.withUnsafeBytes { sqlite3_bind_blob(stmt, idx, $0.baseAddress, Int32($0.count), transient) }
            case .null: sqlite3_bind_null(stmt, idx)
            }
        }
        var rows: [[Value]] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw failure(rc, String(cString: sqlite3_errmsg(db))) }
            var row: [Value] = []
            for c in 0..<sqlite3_column_count(stmt) {
                switch sqlite3_column_type(stmt, c) {
                case SQLITE_INTEGER: row.append(.int(sqlite3_column_int64(stmt, c)))
                case SQLITE_TEXT: row.append(.text(String(cString: sqlite3_column_text(stmt, c))))
                case SQLITE_BLOB:
                    let n = Int(sqlite3_column_bytes(stmt, c))
                    if let p = sqlite3_column_blob(stmt, c) { row.append(.blob(Array(UnsafeRawBufferPointer(start: p, count: n)))) } else { row.append(.blob([])) }
                default: row.append(.null)
                }
            }
            rows.append(row)
        }
        return rows
    }

    func transaction<T>(_ body: () throws -> T) throws -> T {
        try exec("BEGIN IMMEDIATE")
        do { let r = try body(); try exec("COMMIT"); return r } catch { try? exec("ROLLBACK"); throw error }
    }
}

extension SQLiteDB.Value {
    var int: Int64 { if case .int(let v) = self { return v }; return 0 }
    var text: String { if case .text(let v) = self { return v }; return "" }
    var blob: [UInt8] { if case .blob(let v) = self { return v }; return [] }
    var isNull: Bool { if case .null = self { return true }; return false }
}
