/// Constants of the segment file format; the byte layout is docs/format/segment.md.
public enum SegmentFormat {
    /// "LSEG" read as a little-endian u32.
    public static let magic: UInt32 = 0x4745_534C
    /// Current version written; readers accept every version in `readable`.
    public static let version: UInt16 = 6
    public static let readable: ClosedRange<UInt16> = 1...6
    /// Version 3: stored blocks share a trained zstd dictionary, term dictionaries are one zstd
    /// frame, and long postings lists are zstd frames flagged in the term's entry.
    public static let firstPackedVersion: UInt16 = 3
    /// Version 4: a stored block holds its documents' ids, versions, sequence numbers and
    /// lengths first and the sources after them, so zstd sees like next to like.
    public static let firstGroupedBlockVersion: UInt16 = 4
    /// Version 5: repeated top-level `_source` values are stored once in a value table and
    /// referenced from the sources (SourceValues.swift).
    public static let firstValueTableVersion: UInt16 = 5
    /// Version 6: numeric and ordinal columns are bit-packed and read in place from the
    /// mapped file (PackedInts.swift), not decompressed into memory.
    public static let firstInPlaceColumnsVersion: UInt16 = 6
    public static let headerSize = 16
    public static let footerSize = 28

    /// Per-field flags in the directory.
    public static let flagPostings: UInt8 = 1
    public static let flagPositions: UInt8 = 2
    public static let flagNumeric: UInt8 = 4
    public static let flagOrdinals: UInt8 = 8
    /// Version 2: text fields carry a norms column (field length per doc) and their total term count.
    public static let flagNorms: UInt8 = 16
    /// Version 5: a keyword field whose value follows from another keyword field's (its key)
    /// stores its terms and a key-term → term map instead of postings and an ordinal column.
    public static let flagDerived: UInt8 = 32

    /// Timestamp recorded for documents without `@timestamp`: sorts first, never matches a range.
    public static let noTimestamp = Int64.min
    /// The field whose values order documents inside a segment.
    public static let timestampField = "@timestamp"
}
