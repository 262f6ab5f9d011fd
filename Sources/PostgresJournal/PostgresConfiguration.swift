import Basics
import Foundation
import PostgresNIO

/// Where the PostgreSQL journal is and how to reach it, parsed from a URL in libpq's form:
///
/// ```swift
/// let configuration = try PostgresConfiguration.parse(
///     "postgres://hookline@db.internal:5432/hookline?sslmode=verify-full&sslrootcert=/etc/hookline/ca.pem",
///     password: .file("/run/secrets/hookline-db"))
/// print(configuration)   // postgres://hookline@db.internal:5432/hookline?sslmode=verify-full&... (never the password)
/// let journal = try await PostgresJournal(configuration)
/// ```
///
/// `sslmode` as libpq has it: `disable`; `prefer` (the default: TLS when the server offers it, unverified);
/// `require` (TLS, unverified, unless `sslrootcert` is given: then the certificate must be signed by it);
/// `verify-ca` (signed by `sslrootcert`, or by the system's authorities); `verify-full` (that, and made out to
/// the host name or address of the URL).
public struct PostgresConfiguration: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// Where the password comes from when it is not in the URL (which would show it in `ps` and shell history).
    public enum PasswordSource: Sendable, Equatable {
        /// The file's first line (a secret mounted by the orchestrator, for example).
        case file(String)
        /// An environment variable's value.
        case environment(String)
    }

    public var host: String
    public var port: Int
    public var username: String
    public var database: String
    public var tls: TLSMode
    /// The authorities a server certificate must be signed by (PEM), for `verify-ca`, `verify-full` and `require`.
    package var rootCertificatePath: String?
    package var connectTimeout: Duration
    /// Connections in the pool of one node (besides the one that listens for work signals).
    public var poolSize: Int
    /// Listen for work signals on a dedicated connection (LISTEN/NOTIFY). Turn off behind a pooler that
    /// breaks LISTEN (PgBouncer in transaction mode does, silently): nodes then poll for changed calls.
    package var workSignals: Bool
    /// How long one operation may take before it is reported as `unavailable` (the database or the network
    /// is down or stuck), so that a delivery is refused in time and the load balancer tries another node.
    package var operationTimeout: Duration
    /// Where the password was given, for the description.
    let passwordOrigin: String?
    let password: String?

    init(host: String, port: Int, username: String, password: String?, passwordOrigin: String?, database: String,
         tls: TLSMode, rootCertificatePath: String?, connectTimeout: Duration) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.passwordOrigin = passwordOrigin
        self.database = database
        self.tls = tls
        self.rootCertificatePath = rootCertificatePath
        self.connectTimeout = connectTimeout
        poolSize = 16
        workSignals = true
        operationTimeout = .seconds(5)
    }

    /// Parses `postgres://user[:password]@host[:port][/database][?sslmode=...&sslrootcert=...&connect_timeout=...]`
    /// (also `postgresql://`). The password may come from `password` instead of the URL, never from both.
    public static func parse(_ text: String, password source: PasswordSource? = nil,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws(PostgresConfigurationError) -> PostgresConfiguration {
        func fail(_ reason: String) -> PostgresConfigurationError {
            PostgresConfigurationError("the database URL \(redacted(text)) \(reason)")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw PostgresConfigurationError("""
                the database URL is not a URL; write it as postgres://user@host:5432/database (with characters such as \
                @ : / ? # % in the user name or password percent-encoded)
                """)
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw fail("starts with \(scheme)://; it must start with postgres:// or postgresql://")
        }
        guard var host = components.host, !host.isEmpty else {
            throw fail("has no host; write it as postgres://user@host:5432/database")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.contains(",") else {
            throw fail("names several hosts; Hookline connects to one (put a proxy or a DNS name in front of a failover pair)")
        }
        guard let username = components.user, !username.isEmpty else {
            throw fail("has no user name; write it as postgres://user@host/database")
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw fail("has port \(port), outside 1-65535") }
        var database = components.path
        if database.hasPrefix("/") { database.removeFirst() }
        guard !database.contains("/") else { throw fail("has a path with several parts; the path is the database name") }
        if database.isEmpty { database = username }  // as libpq does

        var tls = TLSMode.prefer
        var rootCertificatePath: String?
        var connectTimeout = Duration.seconds(10)
        var seen = Set<String>()
        for item in components.queryItems ?? [] {
            guard seen.insert(item.name).inserted else { throw fail("sets \(item.name) twice") }
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw fail("has sslmode=\(value); use one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                tls = mode
            case "sslrootcert":
                guard !value.isEmpty else { throw fail("has an empty sslrootcert; give the path of a PEM file") }
                guard FileManager.default.isReadableFile(atPath: value) else {
                    throw fail("has sslrootcert=\(value), which is not a readable file")
                }
                rootCertificatePath = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else {
                    throw fail("has connect_timeout=\(value); give a whole number of seconds above 0")
                }
                connectTimeout = .seconds(seconds)
            default:
                throw fail("has the parameter \(item.name), which Hookline does not know; it knows sslmode, sslrootcert, connect_timeout")
            }
        }
        if tls == .disable, rootCertificatePath != nil {
            throw fail("has sslrootcert with sslmode=disable; remove one of them")
        }

        var password = components.password.flatMap { $0.isEmpty ? nil : $0 }
        var origin: String? = password == nil ? nil : "the URL"
        if let source {
            guard password == nil else {
                throw fail("has a password and one is given apart too; give it in one place")
            }
            switch source {
            case .file(let path):
                guard let contents = FileManager.default.contents(atPath: path) else {
                    throw PostgresConfigurationError("cannot read the database password file \(path); check the path and its permissions")
                }
                let line = String(decoding: contents, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
                password = String(line.hasSuffix("\r") ? line.dropLast() : line)
                origin = "the file \(path)"
            case .environment(let name):
                guard let value = environment[name] else {
                    throw PostgresConfigurationError("the environment variable \(name), named for the database password, is not set")
                }
                password = value
                origin = "the environment variable \(name)"
            }
            guard password?.isEmpty == false else {
                throw PostgresConfigurationError("the database password from \(origin!) is empty")
            }
        }
        return PostgresConfiguration(host: host, port: port, username: username, password: password, passwordOrigin: origin,
                                     database: database, tls: tls, rootCertificatePath: rootCertificatePath,
                                     connectTimeout: connectTimeout)
    }

    /// The URL without its password, and where the password comes from.
    public var description: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.host = host.contains(":") ? "[\(host)]" : host
        components.port = port
        components.path = "/" + database
        var items = [URLQueryItem(name: "sslmode", value: tls.rawValue)]
        if let rootCertificatePath { items.append(URLQueryItem(name: "sslrootcert", value: rootCertificatePath)) }
        components.queryItems = items
        let url = components.string ?? "postgres://\(username)@\(host):\(port)/\(database)"
        return passwordOrigin.map { url + " (password from \($0))" } ?? url
    }

    public var debugDescription: String { description }

    /// What `dump` and debuggers show: everything but the password.
    public var customMirror: Mirror {
        Mirror(self, children: ["url": description, "poolSize": poolSize, "workSignals": workSignals,
                                "operationTimeout": operationTimeout], displayStyle: .struct)
    }

    // MARK: for postgres-nio

    /// The TLS settings of `tls`, for the pool and the listening connection alike.
    func tlsConfiguration() -> TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch tls {
        case .disable:
            return nil
        case .prefer:
            configuration.certificateVerification = .none
        case .require:
            configuration.certificateVerification = rootCertificatePath == nil ? .none : .noHostnameVerification
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
        }
        if let rootCertificatePath { configuration.trustRoots = .file(rootCertificatePath) }
        return configuration
    }

    func clientConfiguration() -> PostgresClient.Configuration {
        let tlsMode: PostgresClient.Configuration.TLS = switch (tls, tlsConfiguration()) {
        case (.prefer, let tls?): .prefer(tls)
        case (_, let tls?): .require(tls)
        case (_, nil): .disable
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password,
                                                         database: database, tls: tlsMode)
        configuration.options.connectTimeout = connectTimeout
        configuration.options.maximumConnections = poolSize
        configuration.options.minimumConnections = min(2, poolSize)
        return configuration
    }

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let context = try tlsConfiguration().map { try NIOSSLContext(configuration: $0) }
        let tlsMode: PostgresConnection.Configuration.TLS = switch (tls, context) {
        case (.prefer, let context?): .prefer(context)
        case (_, let context?): .require(context)
        case (_, nil): .disable
        }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: username, password: password,
                                                             database: database, tls: tlsMode)
        configuration.options.connectTimeout = .nanoseconds(connectTimeout.wholeNanoseconds)
        return configuration
    }
}

/// A database URL or password setting that cannot be used; the message says what to change.
public struct PostgresConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The URL for messages: its password, if it has one, replaced by ***.
private func redacted(_ text: String) -> String {
    guard var components = URLComponents(string: text) else { return "(not shown)" }
    if components.password != nil { components.password = "***" }
    return components.string ?? "(not shown)"
}
