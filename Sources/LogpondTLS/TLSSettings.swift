import NIOSSL

/// HTTPS settings, with Elasticsearch's names (`xpack.security.http.ssl.*`): a PEM certificate
/// chain and key, and optionally client certificates checked against given authorities.
public struct TLSSettings: Sendable {
    /// `xpack.security.http.ssl.client_authentication`: Elasticsearch's default for HTTP is none.
    public enum ClientAuthentication: String, Sendable, CaseIterable { case none, optional, required }

    public var certificate: String
    public var key: String
    public var clientAuthentication: ClientAuthentication = .none
    /// PEM files of the authorities client certificates must chain to.
    public var certificateAuthorities: [String] = []

    public init(certificate: String, key: String) { self.certificate = certificate; self.key = key }

    /// Why a certificate, key or authority could not be used; says which file and what to do.
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads the files and builds a server context; throws a `Problem` naming the file at fault.
    public func makeContext() throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificate) } catch {
            throw Problem(description: "cannot read the TLS certificate \(certificate) (\(error)); give a PEM file (-----BEGIN CERTIFICATE-----), the server's certificate first")
        }
        guard !chain.isEmpty else { throw Problem(description: "the TLS certificate file \(certificate) holds no certificate; give a PEM file") }
        let privateKey: NIOSSLPrivateKey
        do { privateKey = try NIOSSLPrivateKey(file: key, format: .pem) } catch {
            throw Problem(description: "cannot read the TLS key \(key) (\(error)); give an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)")
        }
        var config = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        config.minimumTLSVersion = .tlsv12
        switch clientAuthentication {
        case .none: config.certificateVerification = .none
        case .optional: config.certificateVerification = .optionalVerification
        case .required: config.certificateVerification = .noHostnameVerification
        }
        if clientAuthentication != .none {
            guard !certificateAuthorities.isEmpty else {
                throw Problem(description: "xpack.security.http.ssl.client_authentication: \(clientAuthentication.rawValue) needs xpack.security.http.ssl.certificate_authorities (PEM files of the CAs that sign client certificates)")
            }
            var roots: [NIOSSLCertificate] = []
            for path in certificateAuthorities {
                do { roots += try NIOSSLCertificate.fromPEMFile(path) } catch {
                    throw Problem(description: "cannot read the certificate authority \(path) (\(error)); give a PEM file")
                }
            }
            config.trustRoots = .certificates(roots)
            config.sendCANameList = true
        }
        do { return try NIOSSLContext(configuration: config) } catch {
            throw Problem(description: "the TLS certificate \(certificate) and key \(key) cannot be used together (\(error)); check that the key belongs to the certificate")
        }
    }
}
