//! Client profiles against real client libraries: for each server case, what
//! `mailtls check` predicts per client family (`reports[0].clients`) is compared
//! with what Debian's own TLS libraries do when they connect to the same server,
//! with the test root as their only trust anchor and `mail.test` as the name:
//!
//! - OpenSSL: `openssl s_client` (library defaults) and Python's
//!   `ssl.create_default_context()` → profile `openssl`;
//! - GnuTLS: `gnutls-cli` → profile `gnutls`;
//! - NSS: `tstclnt`, set up like Thunderbird (TLS 1.2-1.3, Thunderbird's cipher
//!   suites) → profile `thunderbird`, only where docs/clients.md says the NSS
//!   library and Thunderbird agree;
//! - Java: JSSE `SSLSocket` with PKIX and endpoint identification, from a small
//!   program compiled here → profile `java`.
//!
//! A library has no prompt: it connects ⇔ the profile says `connects`; it
//! fails ⇔ `warns` or `cannot_connect`. An `unknown` prediction is printed, not
//! asserted. Servers: the testkit's in-process rustls servers where rustls can
//! serve the case, `openssl s_server` with a private configuration (security
//! level 0) for what rustls cannot (TLS 1.0, RSA key exchange, CBC, a 1024-bit
//! key). Only 127.0.0.1 is contacted; servers are waited for by polling their
//! port with a deadline. A missing client tool is skipped with a reason, unless
//! `CI` is set: then it fails (`.ci/install-servers.sh` installs them).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{mailtls, program, under_ci};
use mailtls_testkit::{CertCase, HttpFile, Proto, ServerSpec, TestServer, Transport};
use serde_json::Value;

const NAME: &str = "mail.test";
/// Every client run gets this long before it counts as hung.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(20);

// ---- Tools --------------------------------------------------------------------

/// Whether every program is installed; if not, skip (printed) or, under CI, fail.
fn available(library: &str, programs: &[&str]) -> bool {
    let missing: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|p| program(p).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        !under_ci(),
        "{library}: {missing:?} not installed (CI is set; .ci/install-servers.sh installs them)"
    );
    println!("SKIP {library}: {missing:?} not installed (set CI=true to make this a failure)");
    false
}

/// Runs a command with a hard timeout (empty standard input); returns (exit
/// success, stdout + stderr).
fn run(command: &mut Command) -> (bool, String) {
    let program = format!("{command:?}");
    let mut command =
        assert_cmd::Command::from_std(std::mem::replace(command, Command::new("true")));
    let output = command
        .timeout(CLIENT_TIMEOUT)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        output.status.code().is_some(),
        "{program} was killed (after {CLIENT_TIMEOUT:?}?)"
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

// ---- Certificates for the openssl s_server cases -----------------------------------

/// A root, an intermediate and two leaves for `mail.test` (RSA 2048 and RSA 1024),
/// made with the `openssl` command: the testkit's rcgen PKI has ECDSA keys, and
/// RSA key exchange and ECDHE-RSA suites need an RSA leaf.
struct OpensslPki {
    dir: tempfile::TempDir,
}

impl OpensslPki {
    fn new() -> OpensslPki {
        let dir = tempfile::tempdir().expect("tempdir");
        let pki = OpensslPki { dir };
        let p = |f: &str| pki.path(f).to_string_lossy().into_owned();
        std::fs::write(
            pki.path("ca.ext"),
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
        )
        .unwrap();
        std::fs::write(
            pki.path("leaf.ext"),
            format!("subjectAltName=DNS:{NAME}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"),
        )
        .unwrap();
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-sha256",
            "-days",
            "365",
            "-subj",
            "/O=mailtls tests/CN=mailtls Interop Root",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout",
            &p("root.key"),
            "-out",
            &p("root.pem"),
        ]);
        let issue = |name: &str, bits: &str, subject: &str, ca: &str, ext: &str| {
            openssl(&[
                "req",
                "-new",
                "-newkey",
                &format!("rsa:{bits}"),
                "-nodes",
                "-subj",
                subject,
                "-keyout",
                &p(&format!("{name}.key")),
                "-out",
                &p(&format!("{name}.csr")),
            ]);
            openssl(&[
                "x509",
                "-req",
                "-sha256",
                "-days",
                "90",
                "-in",
                &p(&format!("{name}.csr")),
                "-CA",
                &p(&format!("{ca}.pem")),
                "-CAkey",
                &p(&format!("{ca}.key")),
                "-CAcreateserial",
                "-extfile",
                &p(ext),
                "-out",
                &p(&format!("{name}.pem")),
            ]);
        };
        issue(
            "inter",
            "2048",
            "/O=mailtls tests/CN=mailtls Interop Intermediate",
            "root",
            "ca.ext",
        );
        issue("leaf", "2048", &format!("/CN={NAME}"), "inter", "leaf.ext");
        issue("weak", "1024", &format!("/CN={NAME}"), "inter", "leaf.ext");
        pki
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }
}

fn openssl(args: &[&str]) {
    let (ok, out) = run(Command::new("openssl").args(args));
    assert!(ok, "openssl {} failed: {out}", args.join(" "));
}

/// `openssl s_server -www` on 127.0.0.1 with a security-level-0 configuration; killed on drop.
struct OpensslServer {
    _server: common::openssl::SServer,
    port: u16,
}

impl OpensslServer {
    fn start(pki: &OpensslPki, leaf: &str, args: &[&str]) -> OpensslServer {
        let conf = pki.path("legacy.cnf");
        std::fs::write(&conf, common::openssl::LEGACY_CONF).unwrap();
        let server = common::openssl::start_s_server(|port| {
            let mut command = common::openssl::s_server(
                port,
                &pki.path(&format!("{leaf}.pem")),
                &pki.path(&format!("{leaf}.key")),
            );
            command
                .arg("-cert_chain")
                .arg(pki.path("inter.pem"))
                .args(["-www", "-quiet"])
                .args(args)
                .env("OPENSSL_CONF", &conf);
            command
        });
        OpensslServer {
            port: server.addr.port(),
            _server: server,
        }
    }
}

// ---- Server cases ---------------------------------------------------------------

/// How a case's server is made.
#[derive(Debug, Clone, Copy)]
enum Serve {
    /// The testkit's rustls IMAPS server with this certificate case.
    Kit(CertCase),
    /// Like `Kit(ChainIncompleteAt(port))`, with the intermediate served on loopback.
    KitMissingIntermediateWithAia,
    /// `openssl s_server` with this leaf (`leaf` or `weak`) and these arguments.
    Openssl(&'static str, &'static [&'static str]),
}

struct Case {
    id: &'static str,
    serve: Serve,
}

const CASES: &[Case] = &[
    Case {
        id: "good",
        serve: Serve::Kit(CertCase::Good),
    },
    Case {
        id: "missing_intermediate_aia",
        serve: Serve::KitMissingIntermediateWithAia,
    },
    Case {
        id: "rsa1024_leaf",
        serve: Serve::Openssl("weak", &[]),
    },
    Case {
        id: "sha1_leaf",
        serve: Serve::Kit(CertCase::Sha1Signature),
    },
    Case {
        id: "tls10_only",
        serve: Serve::Openssl(
            "leaf",
            &[
                "-tls1",
                "-cipher",
                "ECDHE-RSA-AES128-SHA:AES128-SHA:@SECLEVEL=0",
            ],
        ),
    },
    Case {
        id: "tls12_rsa_kx_only",
        serve: Serve::Openssl(
            "leaf",
            &[
                "-tls1_2",
                "-cipher",
                "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA",
            ],
        ),
    },
    Case {
        id: "cbc_sha1_mac_only",
        serve: Serve::Openssl(
            "leaf",
            &[
                "-tls1_2",
                "-cipher",
                "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA",
            ],
        ),
    },
    Case {
        id: "cbc_sha2_mac_only",
        serve: Serve::Openssl(
            "leaf",
            &[
                "-tls1_2",
                "-cipher",
                "ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384",
            ],
        ),
    },
    Case {
        id: "wrong_order",
        serve: Serve::Kit(CertCase::WrongOrder),
    },
    Case {
        id: "expired",
        serve: Serve::Kit(CertCase::Expired),
    },
    Case {
        id: "wrong_name",
        serve: Serve::Kit(CertCase::WrongName),
    },
    Case {
        id: "self_signed",
        serve: Serve::Kit(CertCase::SelfSigned),
    },
];

/// A running server for one case and the root a client must trust for it.
struct Running {
    port: u16,
    root: PathBuf,
    _kit: Option<TestServer>,
    _aia: Option<HttpFile>,
    _openssl: Option<OpensslServer>,
}

fn start(case: &Case, kit: &common::Pki, pki: &OpensslPki) -> Running {
    let spec = |c: CertCase| {
        ServerSpec::new(Proto::Imap, Transport::ImplicitTls)
            .cert(c)
            .name(NAME)
    };
    match case.serve {
        Serve::Kit(c) => {
            let server = kit.start(spec(c));
            Running {
                port: server.port(),
                root: kit.root.clone(),
                _kit: Some(server),
                _aia: None,
                _openssl: None,
            }
        }
        Serve::KitMissingIntermediateWithAia => {
            let aia = HttpFile::serve(kit.pki.intermediate_der().to_vec()).expect("http server");
            let server = kit.start(spec(CertCase::ChainIncompleteAt(aia.port())));
            Running {
                port: server.port(),
                root: kit.root.clone(),
                _kit: Some(server),
                _aia: Some(aia),
                _openssl: None,
            }
        }
        Serve::Openssl(leaf, args) => {
            let server = OpensslServer::start(pki, leaf, args);
            Running {
                port: server.port,
                root: pki.path("root.pem"),
                _kit: None,
                _aia: None,
                _openssl: Some(server),
            }
        }
    }
}

// ---- Libraries ----------------------------------------------------------------------

/// Thunderbird's cipher suites (docs/clients.md §1, [G3]), as tstclnt's `-c` hex codes:
/// TLS 1.3 AES-GCM and ChaCha20; ECDHE-ECDSA/RSA AES-GCM, ChaCha20 and AES-CBC-SHA;
/// RSA key exchange AES-GCM and AES-CBC-SHA. No DHE, no 3DES, no CBC with SHA-256/384.
const THUNDERBIRD_SUITES: &str =
    ":1301:1302:1303:C02B:C02F:CCA9:CCA8:C02C:C030:C00A:C009:C013:C014:009C:009D:002F:0035";

const JAVA_CLIENT: &str = r#"
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class Handshake {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("--disabled")) {
            System.out.println(Security.getProperty("jdk.tls.disabledAlgorithms"));
            return;
        }
        int port = Integer.parseInt(args[1]);
        String name = args[2];
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = new FileInputStream(args[3])) {
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("root" + i++, c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(args[0], port), 10000);
            plain.setSoTimeout(10000);
            SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, name, port, true);
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            tls.setSSLParameters(parameters);
            tls.startHandshake();
            System.out.println("connected " + tls.getSession().getProtocol() + " " + tls.getSession().getCipherSuite());
            tls.close();
        } catch (Exception e) {
            System.out.println("failed: " + e);
            System.exit(1);
        }
    }
}
"#;

const PYTHON_CLIENT: &str = r#"
import socket, ssl, sys
port, name, root = int(sys.argv[1]), sys.argv[2], sys.argv[3]
context = ssl.create_default_context(cafile=root)
try:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=name) as tls:
            print("connected", tls.version(), tls.cipher()[0])
except (ssl.SSLError, OSError) as e:
    print("failed:", e)
    sys.exit(1)
"#;

/// A client library, set up once.
enum Library {
    OpensslCli,
    /// Whether this Python uses its own default cipher string (upstream builds:
    /// no RSA key exchange, no SHA-1 MACs, [PY2]) rather than OpenSSL's
    /// (Debian's python3 is built with `--with-ssl-default-suites=openssl`).
    Python(bool),
    Gnutls,
    /// tstclnt; NSS databases per root are made on demand in this directory.
    Nss(tempfile::TempDir),
    /// The directory with the compiled `Handshake` class, and whether this JDK
    /// disables `TLS_RSA_*` suites (JDK 24+, 21.0.12+; docs/clients.md §7).
    Java(tempfile::TempDir, bool),
}

impl Library {
    fn name(&self) -> &'static str {
        match self {
            Library::OpensslCli => "openssl s_client",
            Library::Python(_) => "python ssl",
            Library::Gnutls => "gnutls-cli",
            Library::Nss(_) => "nss tstclnt",
            Library::Java(..) => "java jsse",
        }
    }

    /// The profile this library's outcome is compared with.
    fn profile(&self) -> &'static str {
        match self {
            Library::OpensslCli | Library::Python(_) => "openssl",
            Library::Gnutls => "gnutls",
            Library::Nss(_) => "thunderbird",
            Library::Java(..) => "java",
        }
    }

    /// The libraries installed here (all of them under CI).
    fn installed() -> Vec<Library> {
        let mut libraries = Vec::new();
        if available("OpenSSL", &["openssl"]) {
            libraries.push(Library::OpensslCli);
        }
        if available("Python", &["python3"]) {
            let (ok, ciphers) = run(Command::new("python3").args([
                "-c",
                "import ssl, sys; print(sys.version.split()[0], ssl._DEFAULT_CIPHERS)",
            ]));
            assert!(ok, "python3: {ciphers}");
            println!("python3 {}", ciphers.trim());
            libraries.push(Library::Python(ciphers.contains("!SHA1")));
        }
        if available("GnuTLS", &["gnutls-cli"]) {
            libraries.push(Library::Gnutls);
        }
        if available("NSS", &["tstclnt", "certutil"]) {
            libraries.push(Library::Nss(tempfile::tempdir().unwrap()));
        }
        if available("Java", &["javac", "java"]) {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("Handshake.java"), JAVA_CLIENT).unwrap();
            let (ok, out) = run(Command::new("javac")
                .arg("-d")
                .arg(dir.path())
                .arg(dir.path().join("Handshake.java")));
            assert!(ok, "javac: {out}");
            let (ok, disabled) = run(Command::new("java")
                .arg("-cp")
                .arg(dir.path())
                .args(["Handshake", "--disabled"]));
            assert!(ok, "java: {disabled}");
            libraries.push(Library::Java(dir, disabled.contains("TLS_RSA_")));
        }
        libraries
    }

    /// One handshake with full verification against `root` for `mail.test`:
    /// (connected, what the client said).
    fn connect(&self, port: u16, root: &Path) -> (bool, String) {
        let port_s = port.to_string();
        match self {
            Library::OpensslCli => run(Command::new("openssl")
                .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
                .args([
                    "-servername",
                    NAME,
                    "-verify_hostname",
                    NAME,
                    "-verify_return_error",
                ])
                .args(["-no-CApath", "-no-CAstore", "-brief", "-CAfile"])
                .arg(root)
                .env_remove("OPENSSL_CONF")),
            Library::Python(_) => run(Command::new("python3")
                .args(["-c", PYTHON_CLIENT, &port_s, NAME])
                .arg(root)),
            Library::Gnutls => run(Command::new("gnutls-cli")
                .args([
                    "--port",
                    &port_s,
                    "127.0.0.1",
                    "--sni-hostname",
                    NAME,
                    "--verify-hostname",
                    NAME,
                ])
                .arg(format!("--x509cafile={}", root.display()))),
            Library::Nss(dbs) => {
                let db = nss_db(dbs.path(), root);
                run(Command::new("tstclnt")
                    .args(["-h", "127.0.0.1", "-p", &port_s, "-a", NAME, "-Q"])
                    .args(["-V", "tls1.2:tls1.3", "-c", THUNDERBIRD_SUITES])
                    .arg("-d")
                    .arg(format!("sql:{}", db.display())))
            }
            Library::Java(dir, _) => run(Command::new("java")
                .arg("-cp")
                .arg(dir.path())
                .args(["Handshake", "127.0.0.1", &port_s, NAME])
                .arg(root)),
        }
    }
}

/// An NSS database trusting only `root` (as a CA for TLS servers, "C,,").
fn nss_db(dbs: &Path, root: &Path) -> PathBuf {
    let tag: String = root
        .to_string_lossy()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let db = dbs.join(tag);
    if !db.exists() {
        std::fs::create_dir_all(&db).unwrap();
        let sql = format!("sql:{}", db.display());
        let (ok, out) = run(Command::new("certutil").args(["-N", "-d", &sql, "--empty-password"]));
        assert!(ok, "certutil -N: {out}");
        let (ok, out) = run(Command::new("certutil")
            .args(["-A", "-d", &sql, "-n", "test root", "-t", "C,,", "-i"])
            .arg(root));
        assert!(ok, "certutil -A: {out}");
    }
    db
}

/// What a pair (case, library) is compared with.
enum Expect {
    /// The profile's prediction.
    Profile,
    /// This library is known to differ from its profile here (docs/clients.md):
    /// assert this outcome instead, and say why.
    Differs(bool, &'static str),
    /// Not comparable; printed only.
    Skip(&'static str),
}

fn expectation(case: &str, library: &Library) -> Expect {
    match (case, library) {
        ("sha1_leaf", Library::Nss(_)) => Expect::Skip(
            "Thunderbird verifies with mozilla::pkix, which refuses SHA-1; tstclnt uses NSS's own verifier (docs/clients.md §1, §8 row 4)",
        ),
        ("tls12_rsa_kx_only" | "cbc_sha1_mac_only", Library::Python(true)) => Expect::Differs(
            false,
            "this Python's own default cipher string drops RSA key exchange and SHA-1-MAC CBC suites; Debian's python3 uses OpenSSL's ([PY2])",
        ),
        ("tls12_rsa_kx_only", Library::Java(_, true)) => Expect::Differs(
            false,
            "this JDK disables TLS_RSA_* (JDK 24+, 21.0.12+; the java profile follows 17.0.15, [J6])",
        ),
        _ => Expect::Profile,
    }
}

// ---- The test -----------------------------------------------------------------------

/// mailtls's outcome per profile id for one server.
fn predictions(
    port: u16,
    root: &Path,
    extra: &[&str],
) -> (BTreeMap<String, (String, String)>, Value) {
    let url = format!("imaps://127.0.0.1:{port}");
    let root = root.to_str().unwrap();
    let mut args = vec![
        "check",
        &url,
        "--sni",
        NAME,
        "--ca-file",
        root,
        "-f",
        "json",
        "--timeout",
        "10s",
    ];
    args.extend_from_slice(extra);
    let run = mailtls(&args);
    let report = run.report();
    let clients = report["clients"]
        .as_array()
        .unwrap_or_else(|| panic!("no clients: {report:#}"));
    let by_id = clients
        .iter()
        .map(|c| {
            let causes: Vec<&str> = c["causes"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            (
                c["id"].as_str().unwrap().to_owned(),
                (c["outcome"].as_str().unwrap().to_owned(), causes.join(" ")),
            )
        })
        .collect();
    (by_id, report)
}

#[test]
fn client_profiles_predict_what_real_libraries_do() {
    let libraries = Library::installed();
    let kit = common::Pki::new();
    let pki = OpensslPki::new();
    let mut rows: Vec<String> = Vec::new();
    let mut wrong: Vec<String> = Vec::new();
    for case in CASES {
        let server = start(case, &kit, &pki);
        let extra: &[&str] = match case.serve {
            // The download is on loopback; it only informs the fetching profiles.
            Serve::KitMissingIntermediateWithAia => &["--fetch-missing"],
            _ => &[],
        };
        let (predicted, report) = predictions(server.port, &server.root, extra);
        let summary: Vec<String> = ["thunderbird", "outlook", "apple", "android", "android8"]
            .iter()
            .map(|id| format!("{id}={}", predicted.get(*id).map_or("-", |p| p.0.as_str())))
            .collect();
        rows.push(format!(
            "{:<26} (documented only: {})",
            case.id,
            summary.join(" ")
        ));
        if let Serve::KitMissingIntermediateWithAia = case.serve {
            // No Windows or Apple library here: their row comes from docs/clients.md
            // §8 row 1 (both download the intermediate, which leads to the installed root).
            for id in ["outlook", "apple"] {
                let outcome = predicted.get(id).map_or("-", |p| p.0.as_str());
                if outcome != "connects" {
                    wrong.push(format!(
                        "{} × {id} (documented): connects, profile says {outcome}",
                        case.id
                    ));
                }
            }
        }
        for library in &libraries {
            let (connected, said) = library.connect(server.port, &server.root);
            let profile = library.profile();
            let (outcome, causes) = predicted
                .get(profile)
                .cloned()
                .unwrap_or_else(|| panic!("no profile {profile} in {report:#}"));
            let got = if connected { "connects" } else { "fails" };
            let said = said
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim();
            let verdict = match expectation(case.id, library) {
                Expect::Skip(why) => format!("not compared: {why}"),
                Expect::Differs(expected, why) => {
                    if connected != expected {
                        wrong.push(format!("{} × {}: documented difference no longer holds ({why}); library {got}: {said}", case.id, library.name()));
                    }
                    format!("documented difference: {why}")
                }
                Expect::Profile if outcome == "unknown" => {
                    format!("prediction unknown, not asserted ({causes})")
                }
                Expect::Profile => {
                    if connected != (outcome == "connects") {
                        wrong.push(format!(
                            "{} × {}: library {got} ({said}), profile {profile} says {outcome} ({causes})",
                            case.id,
                            library.name()
                        ));
                    }
                    "ok".to_owned()
                }
            };
            rows.push(format!(
                "    {:<17} {:<9} {profile}={outcome:<15} {verdict}  [{said}]",
                library.name(),
                got
            ));
        }
    }
    println!("{}", rows.join("\n"));
    assert!(
        wrong.is_empty(),
        "predictions that real libraries contradict:\n{}",
        wrong.join("\n")
    );
}
