import ArgumentParser
import Foundation
import LogpondEngine
import LogpondHTTP
#if canImport(Glibc)
import Glibc
#endif

/// `logpond users`: the native realm's users, kept (bcrypt-hashed) in the data folder's
/// catalog. Safe beside a running server: it notices within a second.
struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, list, remove users and change their passwords.",
        discussion: """
        Roles: superuser (everything), ingest (writes, index creation, templates: for Fluent Bit, \
        fluentd, rsyslog), viewer (searches and reads: Grafana, people), curator (viewer plus \
        deleting, closing and opening indices, settings, force-merge). Once a user exists every \
        request needs credentials (docs/security.md).
        """,
        subcommands: [Add.self, List.self, Remove.self, Passwd.self]
    )

    struct DataOption: ParsableArguments {
        @Option(name: .long, help: "Data folder (path.data).") var data = "./data"
        func catalog() throws -> Catalog {
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            return try Catalog(path: data + "/" + FileNames.catalog)
        }
    }

    /// The password from stdin (`--password-stdin`) or asked twice on the terminal.
    static func readPassword(fromStdin: Bool) throws -> String {
        if fromStdin {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("no password on stdin") }
            return line
        }
        guard let p1 = getpass("Password: ").map({ String(cString: $0) }), !p1.isEmpty else { throw ValidationError("empty password") }
        guard let p2 = getpass("Again: ").map({ String(cString: $0) }), p1 == p2 else { throw ValidationError("the passwords differ") }
        return p1
    }

    static func checkName(_ name: String) throws {
        guard !name.isEmpty, name.utf8.count <= Limits.userNameBytes, !name.contains(":"), name.allSatisfy({ !$0.isWhitespace || $0 == " " }) else {
            throw ValidationError("a user name is 1 to \(Limits.userNameBytes) bytes without ':' (Basic authentication splits there)")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user (or replace one).")
        @Argument(help: "User name.") var name: String
        @Option(name: .long, help: "superuser, ingest, viewer or curator.") var role: String
        @Flag(name: .long, help: "Read the password from the first line of stdin.") var passwordStdin = false
        @OptionGroup var data: DataOption

        func run() throws {
            try Users.checkName(name)
            guard Role(rawValue: role) != nil else { throw ValidationError("unknown role [\(role)]; use one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))") }
            let password = try Users.readPassword(fromStdin: passwordStdin)
            try data.catalog().putUser(UserRecord(name: name, passwordHash: Passwords.hash(password), role: role))
            print("user [\(name)] with role [\(role)] saved in \(data.data)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users and their roles.")
        @OptionGroup var data: DataOption
        func run() throws {
            let users = try data.catalog().users()
            if users.isEmpty { print("no users: the server answers anyone who can reach it (and binds to loopback only)") }
            for u in users { print("\(u.name)\t\(u.role)") }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user.")
        @Argument(help: "User name.") var name: String
        @OptionGroup var data: DataOption
        func run() throws {
            guard try data.catalog().deleteUser(name) else { throw ValidationError("no user [\(name)] in \(data.data)") }
            print("user [\(name)] removed")
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a user's password.")
        @Argument(help: "User name.") var name: String
        @Flag(name: .long, help: "Read the password from the first line of stdin.") var passwordStdin = false
        @OptionGroup var data: DataOption
        func run() throws {
            let catalog = try data.catalog()
            guard let u = try catalog.users().first(where: { $0.name == name }) else { throw ValidationError("no user [\(name)] in \(data.data)") }
            let password = try Users.readPassword(fromStdin: passwordStdin)
            try catalog.putUser(UserRecord(name: name, passwordHash: Passwords.hash(password), role: u.role))
            print("password of [\(name)] changed")
        }
    }
}

/// Whether `host` is a loopback address, the only place an open server may listen.
func isLoopback(_ host: String) -> Bool {
    ["::1", "[::1]", "localhost"].contains(host.lowercased()) || host.hasPrefix("127.")
}
