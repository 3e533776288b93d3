import Dispatch
import Foundation
import Logging
import LogpondTLS
#if canImport(Glibc)
import Glibc
#endif

/// HTTPS for `serve`: flags first, then `xpack.security.http.ssl.*` from the config file.
enum ServeTLS {
    /// The settings, or nil for plain HTTP; throws when they are incomplete or contradictory.
    static func settings(cert: String?, key: String?, file: FileConfig) throws -> TLSSettings? {
        let prefix = "xpack.security.http.ssl."
        let enabledValue = file[prefix + "enabled"]
        guard enabledValue == nil || enabledValue == "true" || enabledValue == "false" else {
            throw ValidationErrorMessage("\(prefix)enabled: [\(enabledValue!)] is not true or false")
        }
        let certificate = cert ?? file[prefix + "certificate"]
        let keyPath = key ?? file[prefix + "key"]
        let enabled = enabledValue == "true" || cert != nil || key != nil
        if !enabled {
            if certificate != nil || keyPath != nil || file[prefix + "client_authentication"] != nil {
                Logger(label: "logpond").warning("\(prefix)enabled is not true: the certificate settings are ignored and the server speaks plain HTTP")
            }
            return nil
        }
        guard let certificate, let keyPath else {
            throw ValidationErrorMessage("HTTPS needs both a certificate and a key: --tls-cert FILE --tls-key FILE, or \(prefix)certificate and \(prefix)key in the config (PEM files)")
        }
        var s = TLSSettings(certificate: certificate, key: keyPath)
        if let ca = file[prefix + "client_authentication"] {
            guard let v = TLSSettings.ClientAuthentication(rawValue: ca) else {
                throw ValidationErrorMessage("\(prefix)client_authentication: [\(ca)] is not one of none, optional, required")
            }
            s.clientAuthentication = v
        }
        switch file.raw(prefix + "certificate_authorities") {
        case let list as [Any]: s.certificateAuthorities = list.map { "\($0)" }
        case let one?: s.certificateAuthorities = ["\(one)"]
        case nil: break
        }
        return s
    }

    /// Certificates are read again on SIGHUP; a bad file leaves the running ones in place.
    static func reloadOnHangup(_ holder: TLSContextHolder) {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler {
            do {
                try holder.reload()
                log("[logpond] SIGHUP: TLS certificate \(holder.settings.certificate) reloaded; new connections use it, open ones keep theirs", .info)
            } catch {
                log("[logpond] SIGHUP: kept the current TLS certificate: \(error)")
            }
        }
        source.resume()
        hangupSource = source
    }

    nonisolated(unsafe) private static var hangupSource: DispatchSourceSignal?

    private static func log(_ line: String, _ level: Logger.Level = .warning) { Logger(label: "logpond").log(level: level, "\(line)") }
}
