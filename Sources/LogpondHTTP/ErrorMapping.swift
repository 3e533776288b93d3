import LogpondEngine
import LogpondQuery

/// Turns engine and query errors into Elasticsearch error bodies; the only place that does.
enum ErrorMapping {
    static func es(_ error: Error) -> ESError {
        switch error {
        case let e as ESError: return e
        case let q as QueryError: return ESError(q.status, q.type, q.reason)
        case let e as EngineError: return engine(e)
        case let e as JSONFlattener.ParseError: return ESError(400, "parse_exception", "failed to parse JSON: \(e.description)")
        default: return ESError(500, "exception", "internal error: \(EngineError.clip("\(error)"))")
        }
    }

    static func engine(_ e: EngineError) -> ESError {
        switch e {
        case .invalidIndexName(let n, _): return ESError(400, "invalid_index_name_exception", e.description, extra: [("index", EngineError.clip(n))])
        case .invalidAliasName: return ESError(400, "invalid_alias_name_exception", e.description)
        case .aliasesMissing(let names): return ESError(404, "aliases_not_found_exception", e.description, extra: [("resource.type", "aliases"), ("resource.id", EngineError.clip(names.joined(separator: ",")))])
        case .autoCreateRefused(let n, _): return ESError(404, "index_not_found_exception", e.description, extra: [("resource.type", "index_expression"), ("resource.id", EngineError.clip(n)), ("index", EngineError.clip(n))])
        case .indexNotFound(let n): return ESError(404, "index_not_found_exception", e.description, extra: [("resource.type", "index_or_alias"), ("resource.id", EngineError.clip(n)), ("index", EngineError.clip(n))])
        case .indexAlreadyExists(let n): return ESError(400, "resource_already_exists_exception", e.description, extra: [("index", EngineError.clip(n))])
        case .documentParse: return ESError(400, "mapper_parsing_exception", e.description)
        case .mapperParsing: return ESError(400, "mapper_parsing_exception", e.description)
        case .illegalArgument: return ESError(400, "illegal_argument_exception", e.description)
        case .versionConflict: return ESError(409, "version_conflict_engine_exception", e.description)
        case .conflict(let i, _, _): return ESError(409, "version_conflict_engine_exception", e.description, extra: [("index", EngineError.clip(i))])
        case .documentMissing: return ESError(404, "document_missing_exception", e.description)
        case .indexClosed(let n): return ESError(400, "index_closed_exception", e.description, extra: [("index", EngineError.clip(n))])
        case .tooLarge: return ESError(413, "content_too_long_exception", e.description)
        case .corruptFile, .io, .catalog: return ESError(500, "exception", e.description)
        case .writeBlocked: return ESError(403, "cluster_block_exception", e.description)
        case .invalidTemplateName: return ESError(400, "invalid_index_template_exception", e.description)
        case .floodStage(let n): return ESError(429, "cluster_block_exception", e.description, extra: [("index", EngineError.clip(n))])
        case .diskFull: return ESError(429, "cluster_block_exception", e.description)
        case .rejected: return ESError(429, "es_rejected_execution_exception", e.description)
        case .circuitBreaking(_, let wanted, let limit, _):
            return ESError(429, "circuit_breaking_exception", e.description, numbers: [("bytes_wanted", wanted), ("bytes_limit", limit)], extra: [("durability", "TRANSIENT")])
        case .templateMissing(let legacy, _):
            return ESError(404, legacy ? "index_template_missing_exception" : "resource_not_found_exception", e.description)
        }
    }
}
