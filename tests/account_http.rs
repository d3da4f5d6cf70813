//! `mailtls account` with configuration documents: a real dnsmasq on loopback
//! serving MX, SRV and A records for the `.test` zone; autoconfig, ISPDB and
//! Autodiscover served over HTTPS (test certificates, the test root given with
//! `--ca-file`) and plain HTTP by loopback web servers on 127.0.151.X:443/:80,
//! so the standard URLs work unchanged; the test kit's mail servers behind the
//! names at their standard ports. Only 127.0.0.0/8 (and, for an IPv6 address
//! a document gives, ::1) is asked or contacted.
//!
//! The zone, the documents and the servers are in tests/common/every_source.rs,
//! whose scenario tests/output_documents.rs also saves as a document.

mod common;

use common::dns::Dns;
use common::every_source::{
    host, http, https, ip, mail_server, mail_server_with, zone, EverySource, Options, ARGS,
    AUTOCONFIG, AUTODISCOVER, ISPDB_URL,
};
use common::{account_args, account_json, mailtls, Pki};
use mailtls_testkit::web::Reply;
use mailtls_testkit::{CertCase, Proto, ServerSpec, TestServer, Transport};
use serde_json::Value;

/// The findings' codes, sorted.
fn codes(doc: &Value) -> Vec<String> {
    let mut codes = common::codes(doc);
    codes.sort();
    codes
}

fn message_of<'a>(doc: &'a Value, code: &str, containing: &str) -> &'a str {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == code)
        .filter_map(|f| f["message"].as_str())
        .find(|m| m.contains(containing))
        .unwrap_or_else(|| panic!("no {code} finding mentions {containing}: {doc:#}"))
}

#[test]
fn every_source_is_read_and_every_disagreement_flagged() {
    let pki = Pki::new();
    let Some(scenario) = EverySource::start(&pki, Options::on(151)) else {
        return;
    };
    let server = scenario.dns_server();
    let (run, typed) = account_json(&server, Some(&pki), &ARGS);
    let doc = run.account();
    let typed = typed.accounts.into_iter().next().expect("one account");
    assert_eq!(run.code, 1, "warnings only: {}", run.stdout);

    // What each source said.
    let outcome = |label: &str| {
        let d = doc["discovery"]["documents"]
            .as_array()
            .expect("documents")
            .iter()
            .find(|d| d["source"] == label)
            .unwrap_or_else(|| panic!("no {label} document"));
        (
            d["outcome"]["outcome"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            d["servers"]
                .as_array()
                .expect("servers")
                .iter()
                .map(|s| {
                    format!(
                        "{}:{} {}",
                        s["host"].as_str().unwrap_or_default(),
                        s["port"],
                        s["security"].as_str().unwrap_or_default()
                    )
                })
                .collect::<Vec<String>>(),
        )
    };
    let settings = |servers: &[&str]| {
        (
            "settings".to_owned(),
            servers.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    };
    let missing = ("missing".to_owned(), Vec::<String>::new());
    assert_eq!(outcome("autoconfig"), missing);
    assert_eq!(outcome("autoconfig-well-known"), missing);
    assert_eq!(
        outcome("autoconfig-http"),
        settings(&["mail.cfg.test:143 starttls", "mail.cfg.test:465 tls"])
    );
    assert_eq!(outcome("autoconfig-well-known-http"), missing);
    assert_eq!(outcome("ispdb"), settings(&["imap.old.test:993 tls"]));
    assert_eq!(
        outcome("mx-autoconfig"),
        settings(&["mail.cfg.test:993 tls"])
    );
    assert_eq!(outcome("mx-ispdb"), missing);
    assert_eq!(outcome("mx-sub-autoconfig"), missing);
    assert_eq!(outcome("mx-sub-ispdb"), missing);
    assert_eq!(outcome("autodiscover"), missing);
    assert_eq!(outcome("autodiscover-domain"), missing);
    assert_eq!(
        outcome("autodiscover-redirect"),
        settings(&["mail.cfg.test:993 tls"])
    );
    assert_eq!(doc["discovery"]["mx"]["host"], "mx1.mail.hoster.test");
    assert_eq!(doc["discovery"]["mx"]["sub_domain"], "mail.hoster.test");
    assert_eq!(doc["discovery"]["mx"]["base_domain"], "hoster.test");
    let redirected = typed
        .discovery
        .documents
        .iter()
        .find(|d| d.source == mailtls::facts::discovery::DocSource::AutodiscoverRedirect)
        .expect("redirect document");
    assert_eq!(
        redirected.fetch.redirects,
        ["https://autodiscover.hoster.test/autodiscover/autodiscover.xml"]
    );
    assert!(redirected.fetch.forgeable());

    // Every endpoint a source named, checked once, with who named it first.
    let mut endpoints: Vec<String> = doc["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| {
            format!(
                "{}:{} {} {}",
                e["endpoint"]["host"].as_str().unwrap_or_default(),
                e["endpoint"]["port"],
                e["endpoint"]["source"].as_str().unwrap_or_default(),
                e["answer"].as_str().unwrap_or_default()
            )
        })
        .collect();
    endpoints.sort();
    assert_eq!(
        endpoints,
        [
            "imap.old.test:993 ispdb nothing",
            "mail.cfg.test:143 autoconfig-http starttls",
            "mail.cfg.test:465 autoconfig-http implicit_tls",
            "mail.cfg.test:993 srv:_imaps._tcp implicit_tls",
        ],
        "{}",
        run.stdout
    );

    // Every disagreement flagged.
    assert_eq!(
        codes(&doc),
        [
            "account.autodiscover_other_domain",
            "account.config_over_http",
            "account.config_over_http",
            "account.endpoint_unreachable",
            "account.sources_disagree",
            "account.starttls_where_tls_works",
        ],
        "{:#}",
        doc["findings"]
    );
    message_of(
        &doc,
        "account.config_over_http",
        "http://autoconfig.cfg.test/",
    );
    message_of(
        &doc,
        "account.config_over_http",
        "http://autodiscover.cfg.test/",
    );
    message_of(&doc, "account.autodiscover_other_domain", "hoster.test");
    message_of(
        &doc,
        "account.sources_disagree",
        "SRV: mail.cfg.test; autoconfig-http: mail.cfg.test; ispdb: imap.old.test",
    );
    message_of(
        &doc,
        "account.starttls_where_tls_works",
        "mail.cfg.test:993 answers SSL/TLS",
    );
    message_of(&doc, "account.endpoint_unreachable", "imap.old.test:993");

    // The settings: SSL/TLS everywhere, from published sources.
    let settings: Vec<String> = doc["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .map(|s| {
            format!(
                "{} {}:{} {}",
                s["protocol"].as_str().unwrap_or_default(),
                s["server"].as_str().unwrap_or_default(),
                s["port"],
                s["security"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        settings,
        [
            "imap mail.cfg.test:993 SSL/TLS",
            "smtp mail.cfg.test:465 SSL/TLS"
        ]
    );

    // What the servers were asked: the address, and Autodiscover's POST.
    let asked = scenario.autoconfig_http.requests();
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0].target,
        "/mail/config-v1.1.xml?emailaddress=alice%40cfg.test"
    );
    assert_eq!(asked[0].host, "autoconfig.cfg.test");
    assert_eq!(scenario.autoconfig_https.requests().len(), 1);
    let mut asked: Vec<String> = scenario
        .ispdb
        .requests()
        .into_iter()
        .map(|r| r.target)
        .collect();
    asked.sort();
    assert_eq!(
        asked,
        [
            "/v1.1/cfg.test",
            "/v1.1/hoster.test",
            "/v1.1/mail.hoster.test"
        ]
    );
    assert_eq!(scenario.mx_autoconfig.requests().len(), 1);
    let posted = scenario.autodiscover.requests();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].method, "POST");
    assert!(String::from_utf8_lossy(&posted[0].body)
        .contains("<EMailAddress>alice@cfg.test</EMailAddress>"));
    assert_eq!(scenario.redirect.requests()[0].method, "POST");

    // The human report names the documents and the settings.
    let human = mailtls(&account_args(
        &server,
        Some(&pki),
        &[&ARGS[..], &["--color", "never"]].concat(),
    ));
    assert_eq!(human.code, 1);
    for line in [
        "autoconfig-http            http://autoconfig.cfg.test/mail/config-v1.1.xml?emailaddress=alice%40cfg.test 2 server(s) (plain HTTP: forgeable)",
        "Incoming mail (IMAP)   server mail.cfg.test  port 993   security SSL/TLS",
    ] {
        assert!(human.stdout.contains(line), "{line}\n{}", human.stdout);
    }
}

#[test]
fn offline_fetches_nothing_and_several_addresses_give_one_line_each() {
    let pki = Pki::new();
    let net = 152;
    let Some(dns) = Dns::start(&zone(net)) else {
        return;
    };
    let autoconfig_http = http(
        net,
        1,
        vec![("/mail/config-v1.1.xml", Reply::xml(AUTOCONFIG))],
    );
    let imaps = mail_server(&pki, net, Proto::Imap, Transport::ImplicitTls, 993);
    let server = dns.server();
    let alice_and_nobody = [
        "alice@cfg.test",
        "nobody.test",
        "--offline",
        "--timeout",
        "5s",
    ];
    let ndjson = [&alice_and_nobody[..], &["-f", "ndjson"]].concat();
    let run = mailtls(&account_args(&server, Some(&pki), &ndjson));
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON document per line"))
        .collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert_eq!(lines[0]["discovery"]["address"], "alice@cfg.test");
    assert_eq!(lines[0]["discovery"]["offline"], true);
    assert_eq!(
        lines[0]["discovery"]["documents"].as_array().map(Vec::len),
        Some(0)
    );
    assert_eq!(lines[0]["exit_code"], 0);
    assert_eq!(lines[1]["discovery"]["domain"], "nobody.test");
    assert_eq!(lines[1]["exit_code"], 3, "nothing answers for nobody.test");
    // As for several targets of check: unknown outranks ok.
    assert_eq!(run.code, 3);
    assert!(
        autoconfig_http.requests().is_empty(),
        "--offline fetches nothing"
    );

    // Two addresses of one domain: its server is checked once, not twice.
    let offline = |addresses: &[&str]| {
        let before = imaps.connections_accepted();
        let args = [addresses, &["--offline", "-f", "ndjson"]].concat();
        let run = mailtls(&account_args(&server, None, &args));
        assert_eq!(
            run.stdout.lines().count(),
            addresses.len(),
            "{}",
            run.stdout
        );
        imaps.connections_accepted() - before
    };
    let one = offline(&["alice@cfg.test"]);
    assert!(one > 0);
    assert_eq!(offline(&["alice@cfg.test", "bob@cfg.test"]), one);

    // JSON with several addresses: one document holding them all (no --ca-file now).
    let (run, _) = account_json(&server, None, &alice_and_nobody);
    let doc = run.json();
    assert_eq!(doc["accounts"].as_array().map(Vec::len), Some(2));
    // Without the test root, alice's server is untrusted: critical outranks unknown.
    assert_eq!(doc["accounts"][0]["exit_code"], 2);
    assert_eq!(doc["exit_code"], 2);
    assert_eq!(run.code, 2);
}

#[test]
fn a_silent_web_server_leaves_the_checks_their_time() {
    let pki = Pki::new();
    let net = 153;
    let Some(dns) = Dns::start(&zone(net)) else {
        return;
    };
    let silent = https(
        &pki,
        net,
        1,
        "autoconfig.cfg.test",
        vec![("/mail/config-v1.1.xml", Reply::Silent)],
    );
    let _imaps = mail_server(&pki, net, Proto::Imap, Transport::ImplicitTls, 993);
    let started = std::time::Instant::now();
    let args = ["alice@cfg.test", ISPDB_URL, "--timeout", "4s"];
    let (run, _) = account_json(&dns.server(), Some(&pki), &args);
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(6), "{took:?}");
    let doc = run.account();
    let autoconfig = doc["discovery"]["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .find(|d| d["source"] == "autoconfig")
        .expect("autoconfig document");
    assert_eq!(
        autoconfig["fetch"]["error"]["error"], "timeout",
        "{autoconfig:#}"
    );
    assert_eq!(silent.requests().len(), 1);
    assert_eq!(doc["discovery"]["timed_out"], true);
    // The SRV endpoint was still checked, within the same deadline.
    assert_eq!(
        doc["endpoints"][0]["answer"], "implicit_tls",
        "{}",
        run.stdout
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn an_autodiscover_redirect_to_another_address_is_followed_and_flagged() {
    let pki = Pki::new();
    let net = 154;
    let mut records = zone(net);
    records.push(host(net, "autodiscover.moved.test", 9));
    let Some(dns) = Dns::start(&records) else {
        return;
    };
    let redirect_addr = r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account><Action>redirectAddr</Action><RedirectAddr>bob@moved.test</RedirectAddr></Account>
  </Response>
</Autodiscover>"#;
    let first = https(
        &pki,
        net,
        4,
        "autodiscover.cfg.test",
        vec![("/autodiscover/autodiscover.xml", Reply::xml(redirect_addr))],
    );
    let moved = https(
        &pki,
        net,
        9,
        "autodiscover.moved.test",
        vec![("/autodiscover/autodiscover.xml", Reply::xml(AUTODISCOVER))],
    );
    let _imaps = mail_server(&pki, net, Proto::Imap, Transport::ImplicitTls, 993);
    let args = ["alice@cfg.test", ISPDB_URL, "--timeout", "6s"];
    let (run, _) = account_json(&dns.server(), Some(&pki), &args);
    let doc = run.account();
    let documents = doc["discovery"]["documents"].as_array().expect("documents");
    let of = |label: &str| {
        documents
            .iter()
            .find(|d| d["source"] == label)
            .unwrap_or_else(|| panic!("no {label}: {doc:#}"))
    };
    assert_eq!(of("autodiscover")["outcome"]["outcome"], "redirect_addr");
    assert_eq!(of("autodiscover")["outcome"]["detail"], "bob@moved.test");
    let followed = of("autodiscover-redirect-addr");
    assert_eq!(followed["domain"], "moved.test");
    assert_eq!(followed["outcome"]["outcome"], "settings");
    assert_eq!(followed["servers"][0]["host"], "mail.cfg.test");
    assert!(String::from_utf8_lossy(&moved.requests()[0].body)
        .contains("<EMailAddress>bob@moved.test</EMailAddress>"));
    assert_eq!(first.requests().len(), 1);
    assert_eq!(
        codes(&doc),
        ["account.autodiscover_other_domain"],
        "{:#}",
        doc["findings"]
    );
    message_of(&doc, "account.autodiscover_other_domain", "bob@moved.test");
    assert_eq!(run.code, 1);
}

#[test]
fn a_broken_server_named_only_by_autoconfig_decides_the_exit_code() {
    let pki = Pki::new();
    let net = 155;
    // No SRV record this time: autoconfig over HTTPS is the only source.
    let records: Vec<String> = zone(net)
        .into_iter()
        .filter(|r| !r.starts_with("--srv-host"))
        .collect();
    let Some(dns) = Dns::start(&records) else {
        return;
    };
    let config = r#"<clientConfig version="1.1"><emailProvider id="cfg.test">
  <incomingServer type="imap"><hostname>mail.cfg.test</hostname><port>993</port><socketType>SSL</socketType></incomingServer>
</emailProvider></clientConfig>"#;
    let _autoconfig = https(
        &pki,
        net,
        1,
        "autoconfig.cfg.test",
        vec![("/mail/config-v1.1.xml", Reply::xml(config))],
    );
    let expired = ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(CertCase::Expired);
    let _expired = mail_server_with(&pki, net, expired, 993);
    let args = ["alice@cfg.test", ISPDB_URL, "--no-guess", "--timeout", "6s"];
    let (run, _) = account_json(&dns.server(), Some(&pki), &args);
    let doc = run.account();
    let endpoint = &doc["endpoints"][0];
    assert_eq!(endpoint["endpoint"]["source"], "autoconfig");
    assert_eq!(endpoint["answer"], "implicit_tls");
    assert_eq!(endpoint["verdict"], "critical");
    let setting = &doc["settings"][0];
    assert_eq!(setting["source"], "autoconfig");
    assert!(setting["caveat"].is_string(), "{setting:#}");
    // No SRV record: said, as information only.
    assert_eq!(codes(&doc), ["account.nothing_published"]);
    message_of(
        &doc,
        "account.nothing_published",
        "come from its configuration documents",
    );
    assert_eq!(run.code, 2);
}

/// The zone without its SRV record: the documents are the only source.
fn zone_without_srv(net: common::every_source::Net) -> Vec<String> {
    zone(net)
        .into_iter()
        .filter(|r| !r.starts_with("--srv-host"))
        .collect()
}

#[test]
fn an_address_given_as_host_name_is_checked_at_that_address_without_dns() {
    let pki = Pki::new();
    let net = 156;
    let Some(dns) = Dns::start(&zone_without_srv(net)) else {
        return;
    };
    // Both servers' certificates are for mail.cfg.test, as a hoster's would be.
    let _imaps = mail_server(&pki, net, Proto::Imap, Transport::ImplicitTls, 993);
    let smtps = TestServer::try_start_on(
        ServerSpec::new(Proto::Smtp, Transport::ImplicitTls).name("mail.cfg.test"),
        &pki.pki,
        "[::1]:0".parse().expect("address"),
    )
    .expect("mail server on ::1");
    let config = format!(
        r#"<clientConfig version="1.1"><emailProvider id="cfg.test">
  <incomingServer type="imap"><hostname>{}</hostname><port>993</port><socketType>SSL</socketType></incomingServer>
  <outgoingServer type="smtp"><hostname>[::1]</hostname><port>{}</port><socketType>SSL</socketType></outgoingServer>
</emailProvider></clientConfig>"#,
        ip(net, 2),
        smtps.port()
    );
    let _autoconfig = https(
        &pki,
        net,
        1,
        "autoconfig.cfg.test",
        vec![("/mail/config-v1.1.xml", Reply::xml(config))],
    );
    let args = ["alice@cfg.test", ISPDB_URL, "--no-guess", "--timeout", "6s"];
    let (run, _) = account_json(&dns.server(), Some(&pki), &args);
    let doc = run.account();
    let v4 = ip(net, 2).to_string();
    let endpoints: Vec<(String, u64, String, String, String)> = doc["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| {
            (
                e["endpoint"]["host"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                e["endpoint"]["port"].as_u64().unwrap_or_default(),
                e["answer"].as_str().unwrap_or_default().to_owned(),
                e["addresses"][0].as_str().unwrap_or_default().to_owned(),
                e["report"]["facts"]["target"]["host"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let row = |host: &str, port: u16| {
        (
            host.to_owned(),
            u64::from(port),
            "implicit_tls".to_owned(),
            host.to_owned(),
            host.to_owned(),
        )
    };
    assert_eq!(
        endpoints,
        [row(&v4, 993), row("::1", smtps.port())],
        "{}",
        run.stdout
    );
    // No DNS question for an address.
    let asked: Vec<&str> = doc["discovery"]["lookups"]
        .as_array()
        .expect("lookups")
        .iter()
        .filter(|l| l["kind"] == "A/AAAA")
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert!(
        !asked.iter().any(|n| *n == v4 || n.contains(':')),
        "{asked:?}"
    );
    // Checked as `mailtls check ADDRESS:PORT` is: no SNI, and the
    // certificate, which covers a name, does not cover the address.
    for e in doc["endpoints"].as_array().expect("endpoints") {
        let report = &e["report"];
        assert!(report["facts"]["tls"]["sni"].is_null(), "{report:#}");
        assert!(
            common::codes(report).contains(&"cert.name_mismatch".to_owned()),
            "{report:#}"
        );
        assert_eq!(e["verdict"], "critical");
    }
    assert_eq!(codes(&doc), ["account.nothing_published"]);
    assert_eq!(doc["settings"][0]["server"], v4.as_str());
    assert!(doc["settings"][0]["caveat"].is_string());
    assert_eq!(run.code, 2);

    let human = mailtls(&account_args(
        &dns.server(),
        Some(&pki),
        &[&args[..], &["--color", "never"]].concat(),
    ));
    for words in [
        format!("IMAP {v4}:993 SSL/TLS"),
        format!("SMTP [::1]:{} SSL/TLS", smtps.port()),
    ] {
        assert!(human.stdout.contains(&words), "{words}\n{}", human.stdout);
    }
    // The Servers table: each address with its port, checked.
    for server in [format!("{v4}:993 "), format!("[::1]:{} ", smtps.port())] {
        let row = human
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("  {server}")))
            .unwrap_or_else(|| panic!("no row for {server}: {}", human.stdout));
        assert!(row.contains("cert.name_mismatch"), "{row}");
    }
    assert!(
        !human.stdout.contains("does not resolve"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_server_at_port_0_is_named_not_checked_and_no_settings_are_claimed() {
    let pki = Pki::new();
    let net = 157;
    let Some(dns) = Dns::start(&zone_without_srv(net)) else {
        return;
    };
    // Nothing answers at mail.cfg.test:993; SMTP is given at port 0.
    let config = r#"<clientConfig version="1.1"><emailProvider id="cfg.test">
  <incomingServer type="imap"><hostname>mail.cfg.test</hostname><port>993</port><socketType>SSL</socketType></incomingServer>
  <outgoingServer type="smtp"><hostname>mail.cfg.test</hostname><port>0</port><socketType>SSL</socketType></outgoingServer>
</emailProvider></clientConfig>"#;
    let _autoconfig = https(
        &pki,
        net,
        1,
        "autoconfig.cfg.test",
        vec![("/mail/config-v1.1.xml", Reply::xml(config))],
    );
    let args = ["alice@cfg.test", ISPDB_URL, "--no-guess", "--timeout", "6s"];
    let (run, _) = account_json(&dns.server(), Some(&pki), &args);
    let doc = run.account();
    let endpoints: Vec<(&str, u64)> = doc["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| {
            (
                e["endpoint"]["host"].as_str().unwrap_or_default(),
                e["endpoint"]["port"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(endpoints, [("mail.cfg.test", 993)], "{}", run.stdout);
    let zero = &doc["discovery"]["port_zero"];
    assert_eq!(zero.as_array().map(Vec::len), Some(1), "{zero:#}");
    assert_eq!(zero[0]["source"], "autoconfig");
    assert_eq!(zero[0]["protocol"], "smtp");
    assert!(doc["settings"].as_array().is_some_and(Vec::is_empty));
    assert_eq!(
        codes(&doc),
        [
            "account.endpoint_unreachable",
            "account.nothing_published",
            "account.port_zero",
        ],
        "{:#}",
        doc["findings"]
    );
    message_of(
        &doc,
        "account.port_zero",
        "https://autoconfig.cfg.test/mail/config-v1.1.xml?emailaddress=alice%40cfg.test gives mail.cfg.test port 0 for SMTP, which is no port",
    );
    // No settings below: none is said to come from the documents.
    let said = message_of(&doc, "account.nothing_published", "none of them answers");
    assert!(!said.contains("the settings below"), "{said}");
    assert_eq!(run.code, 3);

    let human = mailtls(&account_args(
        &dns.server(),
        Some(&pki),
        &[&args[..], &["--color", "never"]].concat(),
    ));
    for words in [
        "SMTP mail.cfg.test:0 SSL/TLS (port 0 is no port: not checked)",
        "fix: Give the port the SMTP server mail.cfg.test answers at",
    ] {
        assert!(human.stdout.contains(words), "{words}\n{}", human.stdout);
    }
    // No row for it in the Servers table.
    assert!(
        !human.stdout.contains("\n  mail.cfg.test:0 "),
        "{}",
        human.stdout
    );
}
