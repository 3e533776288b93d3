import Foundation
import Hummingbird
import LogpondAnalysis
import LogpondEngine

/// `_analyze`: what an analyzer, or a tokenizer with filters, makes of some text.
extension API {
    func analyze(index: String?, body: [UInt8], params: [String: String]) throws -> Response {
        var req = try parseJSONBody(body) as? [String: Any] ?? [:]
        for (k, v) in params where ["analyzer", "tokenizer", "field", "text", "normalizer"].contains(k) { req[k] = v }
        let texts: [String]
        switch req["text"] {
        case let s as String: texts = [s]
        case let a as [Any]: texts = a.map { "\($0)" }
        default: throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: text is missing;")
        }
        var registry = AnalysisRegistry.builtIn
        var mapping: Mapping? = nil
        if let index {
            guard let idx = store.index(named: index) else { throw EngineError.indexNotFound(index) }
            registry = idx.analysis
            mapping = idx.snapshot(markSearched: false).mapping
        }
        var analyzer: Analyzer
        do {
            if let name = req["analyzer"] as? String {
                guard let a = registry.analyzer(name) else { throw ESError(400, "illegal_argument_exception", "failed to find analyzer [\(name)]") }
                analyzer = a
            } else if let tk = req["tokenizer"] {
                let filters = try (req["filter"] as? [Any] ?? []).map { try registry.filter($0) }
                analyzer = ChainAnalyzer(name: "_custom", tokenizer: try registry.tokenizer(tk), filters: filters)
            } else if let field = req["field"] as? String {
                guard let f = mapping?.resolve(field) else { throw ESError(400, "illegal_argument_exception", "field [\(field)] is not mapped in the index") }
                switch f.type {
                case .text: analyzer = f.analyzer.flatMap { registry.analyzer($0) } ?? Analyzers.standard
                case .keyword:
                    let norm = f.normalizer
                    let tokens = texts.enumerated().map { i, t -> [(String, Any)] in
                        let v = norm.map { registry.normalize(t, with: $0) } ?? t
                        return [("token", v), ("start_offset", 0), ("end_offset", t.utf16.count), ("type", "word"), ("position", i)]
                    }
                    return ESResponse.json(.ok, [("tokens", tokens)] as [(String, Any)])
                default: throw ESError(400, "illegal_argument_exception", "Can't process field [\(field)], Analysis requests are only supported on tokenized fields")
                }
            } else if let filters = req["filter"] as? [Any] {
                analyzer = ChainAnalyzer(name: "_custom", tokenizer: KeywordTokenizer(), filters: try filters.map { try registry.filter($0) })
            } else {
                analyzer = Analyzers.standard
            }
        } catch let e as AnalysisError {
            throw ESError(400, "illegal_argument_exception", e.description)
        }
        var tokens: [[(String, Any)]] = []
        var base = 0, posBase = 0
        for (k, t) in texts.enumerated() {
            let toks = analyzer.detailed(t)
            let utf8 = Array(t.utf8)
            func utf16Offset(_ byte: Int) -> Int { String(decoding: utf8[0..<min(byte, utf8.count)], as: UTF8.self).utf16.count }
            for tok in toks {
                tokens.append([("token", tok.text), ("start_offset", base + utf16Offset(tok.start)), ("end_offset", base + utf16Offset(tok.end)),
                               ("type", tok.type.rawValue), ("position", posBase + tok.position)])
            }
            base += t.utf16.count + 1
            posBase += (toks.last?.position ?? -1) + 1 + (k < texts.count - 1 ? 100 : 0)
        }
        return ESResponse.json(.ok, [("tokens", tokens)] as [(String, Any)])
    }
}
