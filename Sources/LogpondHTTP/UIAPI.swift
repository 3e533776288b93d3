import Foundation
import Hummingbird
import HTTPTypes

/// The web page at `/_logpond/` (docs/ui.md): its files are compiled into the executable.
extension API {
    func uiAsset(_ rest: [String]) throws -> Response {
        let (bytes, type): ([UInt8], String)
        switch rest.first ?? "" {
        case "", "index.html": (bytes, type) = (PackageResources.index_html, "text/html; charset=utf-8")
        case "app.js": (bytes, type) = (PackageResources.app_js, "text/javascript; charset=utf-8")
        case "patterns.js": (bytes, type) = (PackageResources.patterns_js, "text/javascript; charset=utf-8")
        case "style.css": (bytes, type) = (PackageResources.style_css, "text/css; charset=utf-8")
        case "indices", "indices.html": (bytes, type) = (PackageResources.indices_html, "text/html; charset=utf-8")
        case "indices.js": (bytes, type) = (PackageResources.indices_js, "text/javascript; charset=utf-8")
        default: throw ESError(404, "resource_not_found_exception", "no such page [\(rest.joined(separator: "/").prefix(64))] under /_logpond/")
        }
        var h = HTTPFields()
        h[.contentType] = type
        // The page is small and changes with the binary: revalidate rather than cache stale.
        h[.cacheControl] = "no-cache"
        h[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: h, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A browser asking `/` for HTML is sent to the page; API clients get the JSON as before.
    static func wantsPage(_ req: Request) -> Bool {
        guard let accept = req.headers[.accept] else { return false }
        return accept.contains("text/html")
    }

    static func redirectToPage() -> Response {
        var h = HTTPFields()
        h[.location] = "/_logpond/"
        return Response(status: .found, headers: h)
    }
}
