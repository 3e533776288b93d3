import XCTest
@testable import LogpondEngine

final class ShippedTemplateTests: XCTestCase {
    /// The embedded copy must be the file users read and edit in mappings/.
    func testEmbeddedTemplateMatchesMappingsFolder() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("mappings/fluent-logging.json"), encoding: .utf8)
        XCTAssertEqual(ShippedTemplates.fluentLogging, file)
    }

    /// The seed's typed body with `not_analyzed` parses to the intended keyword fields.
    func testFluentLoggingTemplateParses() throws {
        let obj = try JSONSerialization.jsonObject(with: Data(ShippedTemplates.fluentLogging.utf8)) as! [String: Any]
        let m = try MappingJSON.parse(obj["mappings"]!)
        for f in ["container_name", "docker_id", "host", "namespace_name", "pod_id", "pod_name", "labels.app", "labels.release_group"] {
            XCTAssertEqual(m["kubernetes." + f]?.type, .keyword, f)
            XCTAssertEqual(m["kubernetes." + f]?.index, true, f)
        }
        XCTAssertEqual(m["log"]?.type, .text)
        XCTAssertEqual(m["@timestamp"]?.type, .date)
    }

    func testGlobOverlap() {
        XCTAssertTrue(TemplateStore.globsOverlap("logs-*", "logs-app*"))
        XCTAssertTrue(TemplateStore.globsOverlap("*-prod", "logs-*"))
        XCTAssertFalse(TemplateStore.globsOverlap("logs-*", "metrics-*"))
        XCTAssertFalse(TemplateStore.globsOverlap("a", "b"))
        XCTAssertTrue(TemplateStore.globsOverlap("a*c", "ab*"))
    }
}
