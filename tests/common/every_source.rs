//! The "every source" account scenario: a real dnsmasq (see [`super::dns`])
//! serving MX, SRV and A records for the `.test` zone on 127.0.NET.0/24;
//! autoconfig, ISPDB and Autodiscover served over HTTPS (test certificates,
//! the test root given with `--ca-file`) and plain HTTP by loopback web
//! servers on 127.0.NET.X:443/:80, so the standard URLs work unchanged; the
//! test kit's mail servers behind the names at their standard ports.
//!
//! tests/account_http.rs checks what `mailtls account` makes of it, and
//! tests/output_documents.rs saves what it writes as
//! tests/reports/account/every_source.json, with an ill-formed document at
//! the well-known autoconfig URL and an expired SMTPS certificate more
//! ([`Options`]). The building blocks (the zone, the documents, the web and
//! mail servers on 127.0.NET.X) serve account_http's other scenarios too.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use mailtls_testkit::web::{Reply, WebServer};
use mailtls_testkit::{CertCase, Proto, ServerSpec, TestServer, Transport};

use super::dns::Dns;
use super::Pki;

/// A scenario's own network, 127.0.NET.0/24, so parallel tests never collide.
pub type Net = u8;

pub fn ip(net: Net, last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, net, last))
}

pub fn at(net: Net, last: u8, port: u16) -> SocketAddr {
    SocketAddr::new(ip(net, last), port)
}

/// dnsmasq's `--host-record` for `name` at 127.0.NET.`last`.
pub fn host(net: Net, name: &str, last: u8) -> String {
    format!("--host-record={name},{}", ip(net, last))
}

/// An HTTPS server on `last`:443 with a certificate for `name`.
pub fn https(pki: &Pki, net: Net, last: u8, name: &str, routes: Vec<(&str, Reply)>) -> WebServer {
    WebServer::start(
        at(net, last, 443),
        Some(pki.pki.server_cert(CertCase::Good, name)),
        routes,
    )
    .expect("https server on 443 (tests run as root)")
}

/// A plain-HTTP server on `last`:80.
pub fn http(net: Net, last: u8, routes: Vec<(&str, Reply)>) -> WebServer {
    WebServer::start(at(net, last, 80), None, routes)
        .expect("http server on 80 (tests run as root)")
}

/// The test kit's mail server for mail.cfg.test on 127.0.NET.2:`port`, with
/// a good certificate.
pub fn mail_server(
    pki: &Pki,
    net: Net,
    proto: Proto,
    transport: Transport,
    port: u16,
) -> TestServer {
    mail_server_with(pki, net, ServerSpec::new(proto, transport), port)
}

/// A test kit's mail server as `spec` says, named mail.cfg.test, on
/// 127.0.NET.2:`port`.
pub fn mail_server_with(pki: &Pki, net: Net, spec: ServerSpec, port: u16) -> TestServer {
    TestServer::try_start_on(spec.name("mail.cfg.test"), &pki.pki, at(net, 2, port))
        .expect("mail server on its standard port (tests run as root)")
}

/// The domain's autoconfig: STARTTLS for IMAP (where SSL/TLS works too), SMTPS.
pub const AUTOCONFIG: &str = r#"<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="cfg.test">
    <incomingServer type="imap">
      <hostname>mail.%EMAILDOMAIN%</hostname>
      <port>143</port>
      <socketType>STARTTLS</socketType>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>mail.cfg.test</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#;

/// An autoconfig document that is not well formed, with an escape sequence
/// (clear screen) in a tag name, which the parser's message quotes.
pub const ILL_FORMED: &str = "<?xml version=\"1.0\"?>\n<clientConfig version=\"1.1\">\n  <emailProvider id=\"cfg.test\">\n  </emailProvider\u{1b}[2J>\n</clientConfig>";

/// The ISPDB's entry: a server of an old hoster.
pub const ISPDB: &str = r#"<clientConfig version="1.1"><emailProvider id="cfg.test">
  <incomingServer type="imap"><hostname>imap.old.test</hostname><port>993</port><socketType>SSL</socketType></incomingServer>
</emailProvider></clientConfig>"#;

/// The MX host's base domain's autoconfig, agreeing with SRV.
pub const MX_AUTOCONFIG: &str = r#"<clientConfig version="1.1"><emailProvider id="hoster.test">
  <incomingServer type="imap"><hostname>mail.cfg.test</hostname><port>993</port><socketType>SSL</socketType></incomingServer>
</emailProvider></clientConfig>"#;

/// Autodiscover's settings: IMAP over SSL/TLS on mail.cfg.test.
pub const AUTODISCOVER: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account>
      <AccountType>email</AccountType>
      <Action>settings</Action>
      <Protocol><Type>IMAP</Type><Server>mail.cfg.test</Server><Port>993</Port><SSL>on</SSL></Protocol>
    </Account>
  </Response>
</Autodiscover>"#;

/// `--ispdb-url`: the ISPDB at its test address.
pub const ISPDB_URL: &str = "--ispdb-url=https://ispdb.test/v1.1/";

/// The scenario's `mailtls account` arguments, but for `--dns-server` and
/// `--ca-file`.
pub const ARGS: [&str; 4] = ["alice@cfg.test", ISPDB_URL, "--timeout", "8s"];

/// The well-known autoconfig path, on the domain itself (cfg.test).
pub const WELL_KNOWN_PATH: &str = "/.well-known/autoconfig/mail/config-v1.1.xml";

/// The zone: SRV for IMAPS, MX to the hoster, every web and mail name.
pub fn zone(net: Net) -> Vec<String> {
    vec![
        "--srv-host=_imaps._tcp.cfg.test,mail.cfg.test,993,0,1".to_owned(),
        "--mx-host=cfg.test,mx1.mail.hoster.test,10".to_owned(),
        "--mx-host=cfg.test,mx9.backup.test,20".to_owned(),
        host(net, "autoconfig.cfg.test", 1),
        host(net, "mail.cfg.test", 2),
        host(net, "cfg.test", 3),
        host(net, "autodiscover.cfg.test", 4),
        host(net, "autodiscover.hoster.test", 5),
        host(net, "ispdb.test", 6),
        host(net, "autoconfig.hoster.test", 7),
        host(net, "imap.old.test", 8),
    ]
}

/// What differs between the scenario's uses.
pub struct Options {
    /// The scenario's network, 127.0.NET.0/24.
    pub net: Net,
    /// What the well-known autoconfig URL on cfg.test serves over HTTPS; with
    /// `None` nothing listens at cfg.test:443.
    pub well_known: Option<&'static str>,
    /// The SMTPS server's certificate.
    pub smtps_cert: CertCase,
}

impl Options {
    /// On 127.0.NET.0/24, nothing at cfg.test:443, every certificate good.
    pub fn on(net: Net) -> Options {
        Options {
            net,
            well_known: None,
            smtps_cert: CertCase::Good,
        }
    }
}

/// The running scenario: every server stops when it is dropped. The web
/// servers record the requests they got.
pub struct EverySource {
    pub dns: Dns,
    /// https://autoconfig.cfg.test: 404 for everything.
    pub autoconfig_https: WebServer,
    /// http://autoconfig.cfg.test: the domain's autoconfig ([`AUTOCONFIG`]),
    /// only over plain HTTP.
    pub autoconfig_http: WebServer,
    /// https://cfg.test, serving [`Options::well_known`] at
    /// [`WELL_KNOWN_PATH`] (404 elsewhere), when given.
    pub well_known: Option<WebServer>,
    /// https://ispdb.test: [`ISPDB`] for cfg.test, naming imap.old.test, where
    /// nothing answers.
    pub ispdb: WebServer,
    /// https://autoconfig.hoster.test: the MX host's base domain's
    /// autoconfig ([`MX_AUTOCONFIG`]), which agrees.
    pub mx_autoconfig: WebServer,
    /// http://autodiscover.cfg.test: Autodiscover only by the plain-HTTP
    /// redirect method, to another domain (autodiscover.hoster.test).
    pub redirect: WebServer,
    /// https://autodiscover.hoster.test: [`AUTODISCOVER`].
    pub autodiscover: WebServer,
    /// mail.cfg.test:993, IMAP over SSL/TLS.
    pub imaps: TestServer,
    /// mail.cfg.test:143, IMAP with STARTTLS.
    pub imap: TestServer,
    /// mail.cfg.test:465, SMTP over SSL/TLS, with [`Options::smtps_cert`].
    pub smtps: TestServer,
}

impl EverySource {
    /// Starts the scenario with `pki`'s certificates; `None` (with the reason
    /// printed) when dnsmasq is missing and CI is unset.
    pub fn start(pki: &Pki, options: Options) -> Option<EverySource> {
        let net = options.net;
        let dns = Dns::start(&zone(net))?;
        let autoconfig_https = https(pki, net, 1, "autoconfig.cfg.test", vec![]);
        let autoconfig_http = http(
            net,
            1,
            vec![("/mail/config-v1.1.xml", Reply::xml(AUTOCONFIG))],
        );
        let well_known = options.well_known.map(|document| {
            https(
                pki,
                net,
                3,
                "cfg.test",
                vec![(WELL_KNOWN_PATH, Reply::xml(document))],
            )
        });
        let ispdb = https(
            pki,
            net,
            6,
            "ispdb.test",
            vec![("/v1.1/cfg.test", Reply::xml(ISPDB))],
        );
        let mx_autoconfig = https(
            pki,
            net,
            7,
            "autoconfig.hoster.test",
            vec![("/mail/config-v1.1.xml", Reply::xml(MX_AUTOCONFIG))],
        );
        let redirect = http(
            net,
            4,
            vec![(
                "/autodiscover/autodiscover.xml",
                Reply::Redirect {
                    status: 302,
                    location: "https://autodiscover.hoster.test/autodiscover/autodiscover.xml"
                        .to_owned(),
                },
            )],
        );
        let autodiscover = https(
            pki,
            net,
            5,
            "autodiscover.hoster.test",
            vec![("/autodiscover/autodiscover.xml", Reply::xml(AUTODISCOVER))],
        );
        let imaps = mail_server(pki, net, Proto::Imap, Transport::ImplicitTls, 993);
        let imap = mail_server(pki, net, Proto::Imap, Transport::Starttls, 143);
        let smtps = ServerSpec::new(Proto::Smtp, Transport::ImplicitTls).cert(options.smtps_cert);
        let smtps = mail_server_with(pki, net, smtps, 465);
        Some(EverySource {
            dns,
            autoconfig_https,
            autoconfig_http,
            well_known,
            ispdb,
            mx_autoconfig,
            redirect,
            autodiscover,
            imaps,
            imap,
            smtps,
        })
    }

    /// The name server, `ADDR:PORT`, for `--dns-server`.
    pub fn dns_server(&self) -> String {
        self.dns.server()
    }
}
