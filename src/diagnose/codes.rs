//! The finding codes: one table gives each its stable string, its default
//! severity and its row in docs/findings.md. Rules name codes by variant;
//! nothing branches on the strings, which exist for JSON and people.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Severity;

/// What a finding is about: the part of its code before the dot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    /// `cert.*`: the certificate chain.
    Certificate,
    /// `tls.*`: versions, suites, the handshake, client certificates.
    Tls,
    /// `starttls.*`: the upgrade to TLS.
    Starttls,
    /// `port.*`: a port used in the wrong mode.
    Port,
    /// `auth.*`: logging in before TLS.
    Auth,
    /// `greeting.*`: how the server greets.
    Greeting,
    /// `protocol.*`: the mail protocol itself.
    Protocol,
    /// `server.*`: the server's refusals.
    Server,
    /// `net.*`: reaching the server.
    Network,
    /// `dns.*`: what DNS names.
    Dns,
    /// `input.*`: what the user gave.
    Input,
    /// `account.*`: what DNS publishes for an address, against what answers (`mailtls account`).
    Account,
    /// `dane.*`: TLSA records for SMTP (RFC 7672), with `--dane` and `mailtls domain`.
    Dane,
    /// `mtasts.*`: MTA-STS (RFC 8461), in `mailtls domain`.
    MtaSts,
    /// `tlsrpt.*`: TLS reporting (RFC 8460), in `mailtls domain`.
    TlsRpt,
    /// `limits.*`: what mailtls keeps of a flood.
    Limits,
    /// `mailtls.*`: mailtls itself.
    Mailtls,
}

macro_rules! codes {
    ($( $variant:ident = $text:literal, $area:ident, $severity:ident, $doc_severity:literal, $meaning:literal; )*) => {
        /// A finding's stable code. Codes are only ever added, never renamed or reused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $variant, )*
        }

        impl Code {
            /// Every code, in the order docs/findings.md lists them.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable dotted string, e.g. `cert.expired`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $text, )* }
            }

            /// What the finding is about.
            pub fn area(self) -> Area {
                match self { $( Code::$variant => Area::$area, )* }
            }

            /// The severity the finding usually has; some rules choose between two
            /// (the docs row names both).
            pub fn default_severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$severity, )* }
            }

            /// The severity column of the docs row (`warning / critical` where a rule chooses).
            pub fn doc_severity(self) -> &'static str {
                match self { $( Code::$variant => $doc_severity, )* }
            }

            /// The meaning column of the docs row.
            pub fn meaning(self) -> &'static str {
                match self { $( Code::$variant => $meaning, )* }
            }
        }
    };
}

codes! {
    CertTrusted = "cert.trusted", Certificate, Ok, "ok",
        "The certificate is valid for the checked name and chains to a trusted root.";
    CertExpired = "cert.expired", Certificate, Critical, "critical",
        "The server's certificate has expired.";
    CertNotYetValid = "cert.not_yet_valid", Certificate, Critical, "critical",
        "The server's certificate is not valid yet (or the server's or client's clock is wrong).";
    CertExpiresSoon = "cert.expires_soon", Certificate, Warning, "warning / critical",
        "The leaf or an intermediate expires within `--warn-days` (default 30; warning) or `--crit-days` (default 7; critical).";
    CertNameMismatch = "cert.name_mismatch", Certificate, Critical, "critical",
        "The certificate does not cover the host name the client uses; the message lists the names it does cover.";
    CertSelfSigned = "cert.self_signed", Certificate, Critical, "critical",
        "The server sends a self-signed certificate that no client trusts without manual steps.";
    CertUnknownIssuer = "cert.unknown_issuer", Certificate, Critical, "critical",
        "The chain ends at an issuer that is not in the trust store: a missing intermediate certificate on the server, or a private CA whose root the client lacks.";
    CertChainIncomplete = "cert.chain_incomplete", Certificate, Critical, "critical",
        "The server does not send the intermediate that issued its certificate; the message names it and the URL in the certificate's AIA extension where it can be downloaded.";
    CertUntrustedRoot = "cert.untrusted_root", Certificate, Critical, "critical",
        "The chain ends at a root the server sends itself but that is not trusted: a private certificate authority whose root clients must install.";
    CertUntrusted = "cert.untrusted", Certificate, Critical, "critical",
        "Verification failed for another reason (bad signature, wrong key usage, a CA certificate used as the server certificate, …); the message gives it.";
    CertUnparsable = "cert.unparsable", Certificate, Critical, "critical",
        "A certificate in the chain is not valid X.509/DER.";
    CertDateUnsupported = "cert.date_unsupported", Certificate, Warning, "warning",
        "A certificate is dated before 1970, which mailtls's verifier (WebPKI) cannot check, so the chain went unverified; mail clients built on OpenSSL, GnuTLS or NSS accept such dates.";
    CertWeakSignature = "cert.weak_signature", Certificate, Critical, "critical",
        "A certificate on the chain (other than a root) is signed with SHA-1, MD5 or MD2.";
    CertWeakKey = "cert.weak_key", Certificate, Critical, "critical",
        "A certificate on the chain has an RSA key shorter than 2048 bits.";
    CertMustStapleNotStapled = "cert.must_staple_not_stapled", Certificate, Critical, "critical",
        "The certificate demands a stapled OCSP response (RFC 7633 must-staple) and the server sent none.";
    CertOcspRevoked = "cert.ocsp_revoked", Certificate, Critical, "critical",
        "The OCSP response the server staples says its certificate is revoked.";
    CertOcspStale = "cert.ocsp_stale", Certificate, Warning, "warning / critical",
        "The stapled OCSP response is out of date (nextUpdate passed) or not yet valid; critical when the certificate demands stapling.";
    CertOcspUnusable = "cert.ocsp_unusable", Certificate, Warning, "warning",
        "The stapled OCSP response cannot be used: unreadable, not successful, about another certificate, badly signed, or status unknown.";
    CertRevoked = "cert.revoked", Certificate, Critical, "critical",
        "`--revocation`: the CA's OCSP responder (its signed answer) or its CRL (signed and current) says a certificate of the chain is revoked; the message names which.";
    CertRevocationUnknown = "cert.revocation_unknown", Certificate, Info, "info / warning",
        "`--revocation`: no usable answer about a certificate's revocation: the responder unreachable or its answer unusable, the CRL missing, unsigned or out of date (warning), or no OCSP or CRL URL in the certificate (info).";
    CertNoSct = "cert.no_sct", Certificate, Info, "info",
        "A publicly trusted certificate carries no Certificate Transparency timestamps (SCTs) in itself, its OCSP staple or (asked only with `--probe`) the TLS extension; Apple clients require them.";
    CertDiffersWithoutSni = "cert.differs_without_sni", Certificate, Info, "info",
        "`--probe`: a hello without SNI gets another certificate than the checked name; the message says whether it covers the name (clients that send no SNI see it).";
    CertValidityTooLong = "cert.validity_too_long", Certificate, Warning, "warning",
        "The leaf is valid for more than 398 days (CA/Browser Forum limit; Apple clients refuse such certificates).";
    CertWrongOrder = "cert.wrong_order", Certificate, Info, "info",
        "The chain is not sent leaf first, then each issuer in turn. Every current client builds the chain anyway (docs/clients.md, row 9), so this is tidying; the fix gives the right order.";
    CertTrustDiffers = "cert.trust_differs", Certificate, Info, "info / warning",
        "Trust stores disagree: e.g. the operating system's store trusts the chain and Mozilla's (Thunderbird) does not, or only the `--ca-file` CA does (a private CA). Warning when the chain is trusted by the chosen store but not by another common one.";
    CertRootIncluded = "cert.root_included", Certificate, Info, "info",
        "The server also sends the root certificate, which clients never use.";
    CertDuplicate = "cert.duplicate", Certificate, Info, "info",
        "The server sends a certificate more than once.";
    CertUnrelatedCertificate = "cert.unrelated_certificate", Certificate, Info, "info",
        "The server sends a certificate that is not on its certificate's chain.";
    TlsHandshakeFailed = "tls.handshake_failed", Tls, Critical, "critical / info",
        "The handshake did not complete: an alert from the server (named), or the server closed or broke the handshake. Info when the server refused only mailtls's own suites (rustls: ECDHE with AEAD) and the probe found the TLS 1.2 or 1.3 suites it does accept.";
    TlsNoTls13 = "tls.no_tls13", Tls, Info, "info",
        "TLS 1.2 was negotiated although TLS 1.3 was offered.";
    TlsClientCertRequested = "tls.client_cert_requested", Tls, Info, "info",
        "The server asked for a client certificate (the accepted authorities are listed); says whether mailtls presented one (`--client-cert`).";
    TlsClientCertRequired = "tls.client_cert_required", Tls, Unknown, "unknown",
        "The server requires a client certificate and ended the connection without one; check again with `--client-cert` and `--client-key`.";
    TlsSslv3Enabled = "tls.sslv3_enabled", Tls, Critical, "critical",
        "The server accepts SSL 3.0 (POODLE; RFC 7568 forbids it).";
    TlsTls10Enabled = "tls.tls10_enabled", Tls, Warning, "warning",
        "The server accepts TLS 1.0, deprecated by RFC 8996.";
    TlsTls11Enabled = "tls.tls11_enabled", Tls, Warning, "warning",
        "The server accepts TLS 1.1, deprecated by RFC 8996.";
    TlsLegacyOnly = "tls.legacy_only", Tls, Critical, "critical",
        "The server speaks SSL 3.0 / TLS 1.0 / TLS 1.1 but neither TLS 1.2 nor 1.3: current mail clients refuse it. The probe reads its certificate chain anyway (`facts.probe.legacy_certificates`).";
    TlsWeakCipher = "tls.weak_cipher", Tls, Critical, "critical / warning",
        "The server accepts broken suites (NULL, anonymous, EXPORT, RC4, DES, RC2: critical) or 3DES / MD5-MAC suites only (warning). The message names them.";
    TlsNoForwardSecrecy = "tls.no_forward_secrecy", Tls, Warning, "warning",
        "The server accepts suites with RSA (or static DH/ECDH) key exchange: a stolen private key decrypts recorded sessions.";
    TlsCbcOnly = "tls.cbc_only", Tls, Warning, "warning",
        "TLS 1.2 with only CBC-mode suites (no AES-GCM or ChaCha20) and no TLS 1.3.";
    TlsProbeInconclusive = "tls.probe_inconclusive", Tls, Info, "info / unknown",
        "Some probe questions stayed open (timeout, 421/BYE on a probe connection, a connection closed or reset where no other hello was answered, or where the server also closed a hello it had answered: a server limiting connections). Unknown when probing stopped early or no version could be tested; info otherwise. An open question is never reported as \"not supported\"; a close in answer to one version's hello, asked again once while the server answers another version's hello, is.";
    TlsNoFallbackScsv = "tls.no_fallback_scsv", Tls, Info, "info",
        "The server accepts two or more versions and answers a hello for a lower one that carries TLS_FALLBACK_SCSV (RFC 7507) instead of refusing it with inappropriate_fallback: clients that retry at a lower version can be downgraded. Not reported when the server accepts only TLS 1.2 and 1.3, where TLS 1.3 clients detect the downgrade by the ServerHello's sentinel (RFC 8446 4.1.3); the fact (`facts.probe.fallback_scsv`) is still false.";
    TlsInsecureRenegotiation = "tls.insecure_renegotiation", Tls, Warning, "warning",
        "The server's ServerHello for TLS 1.2 or older carries no renegotiation_info although the hello offered the renegotiation SCSV: no secure renegotiation (RFC 5746, CVE-2009-3555).";
    TlsProfileDeviation = "tls.profile_deviation", Tls, Warning, "warning",
        "`--profile`: the probe found the server outside Mozilla's chosen TLS configuration (guidelines 5.7, https://ssl-config.mozilla.org/guidelines/5.7.json): a version it should not accept (or, for modern, TLS 1.3 missing), or suites not on the configuration's list. One finding lists every deviation.";
    TlsCompression = "tls.compression", Tls, Critical, "critical",
        "The server chose DEFLATE compression when the probe offered it: secrets in the session can be read by an attacker who injects traffic (CRIME).";
    TlsNoExtendedMasterSecret = "tls.no_extended_master_secret", Tls, Info, "info",
        "The TLS 1.2 (or older) ServerHello carries no extended_master_secret (RFC 7627): sessions are open to the triple-handshake attack, and clients that demand it refuse resumption.";
    TlsHeartbleed = "tls.heartbleed", Tls, Critical, "critical",
        "A heartbeat request claiming more data than it carried was answered (Heartbleed, CVE-2014-0160): the server leaks its memory, keys included. Asked only when the server announces the heartbeat extension.";
    TlsCcsInjection = "tls.ccs_injection", Tls, Critical, "critical",
        "A ChangeCipherSpec sent before the key exchange was taken: the server answered the record after it with bad_record_mac (or decryption_failed) instead of refusing the ChangeCipherSpec with unexpected_message (CCS injection, CVE-2014-0224): a man in the middle can make the session use known keys. Silence proves nothing and leaves it open.";
    TlsRobot = "tls.robot", Tls, Critical, "critical / warning",
        "The server answers RSA key exchanges padded right and wrong differently, the same way twice (ROBOT, Return Of Bleichenbacher's Oracle Threat, CVE-2017-13099 family): with enough connections anyone can decrypt recorded sessions that used RSA key exchange and sign with the server's key. Critical for a strong oracle (the badly padded premasters answered differently among themselves), warning for a weak one (only the fully correct padding answered otherwise). Asked only when TLS_RSA_WITH_* suites are accepted at TLS 1.0 to 1.2; answers that differ between the two rounds leave it open.";
    TlsClientRenegotiation = "tls.client_renegotiation", Tls, Warning, "warning / critical",
        "The server renegotiates when a client asks: after a TLS 1.2 ECDHE handshake the probe completed, a new ClientHello sent inside the session was answered with a ServerHello. Any client can make the server redo the costly half of a handshake again and again on one connection (a cheap CPU denial of service). Critical when the server also lacks secure renegotiation (`tls.insecure_renegotiation`): a man in the middle can then splice his own commands in front of a client's session (CVE-2009-3555). A refusal (the no_renegotiation alert, another alert or a close) is sound; silence leaves it open. Asked only when TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305 over X25519 or secp256r1 is accepted, on one more connection.";
    TlsWeakDh = "tls.weak_dh", Tls, Critical, "critical / warning",
        "The DHE parameters are short (under 1024 bits: critical; under 2048: warning) or a published group known to be weak (the RFC 2409 1024-bit prime many servers share, Logjam; RFC 5114 groups: warning). The message names the group.";
    StarttlsNotOffered = "starttls.not_offered", Starttls, Critical, "critical",
        "The server does not advertise STARTTLS: passwords and mail would go in the clear.";
    StarttlsRefused = "starttls.refused", Starttls, Critical, "critical",
        "STARTTLS is advertised but the command is refused.";
    StarttlsNoTlsAfterGoAhead = "starttls.no_tls_after_go_ahead", Starttls, Critical, "critical",
        "The server agreed to STARTTLS and then went on in plaintext (often a STARTTLS-stripping middlebox).";
    StarttlsUnexpectedPlaintext = "starttls.unexpected_plaintext", Starttls, Critical, "critical",
        "The server sent plaintext after its STARTTLS go-ahead and before TLS (response injection, CVE-2021-33515 class). mailtls discards those bytes.";
    PortPlaintextOnTlsPort = "port.plaintext_on_tls_port", Port, Critical, "critical",
        "A port checked as SSL/TLS (implicit TLS) answered with a plaintext greeting: the client should use STARTTLS there, or the SSL/TLS port.";
    PortTlsOnPlaintextPort = "port.tls_on_plaintext_port", Port, Critical, "critical",
        "A port checked as STARTTLS speaks TLS from the first byte: the client should use SSL/TLS there.";
    AuthCleartextOffered = "auth.cleartext_offered", Auth, Warning, "warning",
        "Before STARTTLS the server already offers to log in (IMAP without LOGINDISABLED or with AUTH=PLAIN/LOGIN; POP3 USER or SASL PLAIN/LOGIN; SMTP AUTH PLAIN/LOGIN; ManageSieve SASL PLAIN/LOGIN). Clients set to STARTTLS are safe; clients set to no encryption, or to STARTTLS only if available, send the password in clear.";
    AuthTlsRequired = "auth.tls_required", Auth, Ok, "ok",
        "Logging in is offered only inside TLS.";
    AuthCleartextAccepted = "auth.cleartext_accepted", Auth, Critical, "critical",
        "`--audit`, POP3: the server accepted `USER` before TLS (mailtls sends a user name that cannot exist, and never a password).";
    StarttlsCommandInjection = "starttls.command_injection", Starttls, Critical, "critical",
        "`--audit`: a command pipelined after STARTTLS in plaintext was answered inside TLS (CVE-2011-0411 class): commands can be injected into users' encrypted sessions.";
    StarttlsNoCommandInjection = "starttls.no_command_injection", Starttls, Ok, "ok",
        "`--audit`: the injection test was run and the server is not affected.";
    StarttlsInjectionInconclusive = "starttls.injection_inconclusive", Starttls, Info, "info",
        "`--audit`: the injection test could not finish (e.g. the server refused the extra connection); nothing is concluded.";
    GreetingSlow = "greeting.slow", Greeting, Info, "info",
        "The server took a second or more to send its greeting (the message gives the seconds). mailtls waits as long as `--timeout` allows; a client with a short timeout may give up first.";
    ProtocolUnexpectedGreeting = "protocol.unexpected_greeting", Protocol, Critical, "critical",
        "The first line is not a greeting of the expected protocol (wrong port, or garbage).";
    ProtocolUnexpectedReply = "protocol.unexpected_reply", Protocol, Critical, "critical",
        "The server answered a command with something a client cannot use.";
    ProtocolLineTooLong = "protocol.line_too_long", Protocol, Critical, "critical",
        "A line longer than 16 KiB: not a mail server, or a hostile one.";
    ProtocolReplyTooLong = "protocol.reply_too_long", Protocol, Critical, "critical",
        "A multi-line reply longer than any real server sends (512 lines).";
    ServerBusy = "server.busy", Server, Unknown, "unknown",
        "The server refused the session for now (SMTP 421, IMAP BYE, POP3 `-ERR [SYS/TEMP]`/`[IN-USE]`, ManageSieve BYE): rate limiting or too many connections.";
    ServerRefused = "server.refused", Server, Critical, "critical",
        "The server refused the session permanently (SMTP 554, POP3 `-ERR`, ManageSieve NO).";
    NetDnsFailed = "net.dns_failed", Network, Unknown, "unknown",
        "The host name could not be resolved, or has no address.";
    NetConnectionRefused = "net.connection_refused", Network, Unknown, "unknown",
        "Nothing listens on the port.";
    NetConnectFailed = "net.connect_failed", Network, Unknown, "unknown",
        "The connection could not be made (unreachable network, …).";
    NetTimeout = "net.timeout", Network, Unknown, "unknown",
        "No answer within `--timeout`; the message names the phase (DNS lookup, connection attempt, greeting, dialogue, TLS handshake).";
    NetNoGreeting = "net.no_greeting", Network, Unknown, "unknown",
        "Connected, but the server sent no greeting and did not answer TLS either.";
    NetClosed = "net.closed", Network, Unknown, "unknown",
        "The server closed the connection before the check finished.";
    NetIoError = "net.io_error", Network, Unknown, "unknown",
        "Another network error; the message gives it.";
    DnsAddressesDiffer = "dns.addresses_differ", Dns, Warning, "warning",
        "With `--all-addresses`: the addresses of one name serve different certificates, TLS versions, cipher suites or verdicts, so some users see a problem and others do not.";
    InputInvalidTarget = "input.invalid_target", Input, Unknown, "unknown",
        "A line of a targets file (or standard input) is not a target; its result says why, and the other lines are still checked.";
    AccountStarttlsWhereTlsWorks = "account.starttls_where_tls_works", Account, Warning, "warning",
        "`mailtls account`: an SRV record for STARTTLS (or a plaintext-only port) ranks as high as or higher than the SSL/TLS record of the same protocol, which works, or is the only record while the standard SSL/TLS port of its host works; or a configuration document (autoconfig, ISPDB, Autodiscover) gives only STARTTLS or no encryption for a protocol while the standard SSL/TLS port of that host works. RFC 8314 prefers SSL/TLS, so it should be what is published first.";
    AccountSrvTargetNameMismatch = "account.srv_target_name_mismatch", Account, Warning, "warning",
        "`mailtls account`: the certificate at an SRV record's target does not cover the target's name, so clients that follow the record warn or refuse.";
    AccountNothingPublished = "account.nothing_published", Account, Info, "info",
        "`mailtls account`: the domain publishes no SRV records for mail clients (RFC 6186, RFC 8314); the settings come from its configuration documents (autoconfig, ISPDB, Autodiscover) or from guessed host names (imap., pop., smtp., mail.), as Thunderbird guesses them.";
    AccountEndpointUnreachable = "account.endpoint_unreachable", Account, Warning, "warning",
        "`mailtls account`: an SRV record or a configuration document names a host that does not resolve, or a port where nothing answers.";
    AccountConfigOverHttp = "account.config_over_http", Account, Warning, "warning",
        "`mailtls account`: the domain's mail settings (autoconfig or Autodiscover) are served only over plain HTTP (or reached through a plain-HTTP redirect), so anyone on the network path can change the servers a client is told to use; Thunderbird fetches them by default (`mailnews.auto_config.fetchFromISP.sslOnly` is false) and shows them to the user to confirm.";
    AccountSourcesDisagree = "account.sources_disagree", Account, Warning, "warning",
        "`mailtls account`: two sources a client may use (SRV records, autoconfig, ISPDB, the MX-based lookup, Autodiscover) name different servers for the same protocol (or the same host at different ports for the same security), so clients end up on different servers depending on which source they read.";
    AccountConfigUnreadable = "account.config_unreadable", Account, Info, "info",
        "`mailtls account`: a URL a client asks for its settings (autoconfig, ISPDB, the MX-based lookup, Autodiscover) answers with a document that is not a configuration (not XML, the wrong XML, no servers), so clients cannot use it.";
    AccountPortZero = "account.port_zero", Account, Warning, "warning",
        "`mailtls account`: an SRV record or a server in a configuration document names port 0, which is no port: no client can connect to it, so it is not checked; the fix gives the standard port to publish instead.";
    AccountAutodiscoverOtherDomain = "account.autodiscover_other_domain", Account, Warning, "warning",
        "`mailtls account`: Autodiscover for the domain is answered from another domain (through the plain-HTTP redirect or the `_autodiscover._tcp` SRV record), or sends the client to an address at another domain; Thunderbird then asks the user whether to trust that domain, and the answer may be forged.";
    DaneAuthenticated = "dane.authenticated", Dane, Ok, "ok",
        "A DNSSEC-signed TLSA record (DANE-EE or DANE-TA, RFC 7672) matches the chain the server sends: DANE-aware senders authenticate it.";
    DaneNoMatch = "dane.no_match", Dane, Critical, "critical",
        "Signed, usable TLSA records exist, but none matches the chain the server sends (or it sends none): DANE-aware senders (Postfix, Exim) will not deliver mail to it. The fix gives the record for the served key.";
    DaneUnmatchedRecord = "dane.unmatched_record", Dane, Info, "info",
        "Rollover check: besides a matching record, a TLSA record matches nothing the server sends: the next key's record published ahead of a rollover (RFC 7671 section 8.1), or one left from an old key.";
    DaneTaChainInvalid = "dane.ta_chain_invalid", Dane, Warning, "warning",
        "A DANE-TA(2) record matches a CA certificate the server sends, but the server's certificate does not verify up to it (name, dates, signatures), while another record authenticates.";
    DaneUnusableRecord = "dane.unusable_record", Dane, Warning, "warning",
        "A TLSA record SMTP senders do not use: usage PKIX-TA(0) or PKIX-EE(1) (RFC 7672 section 3.1.3), an unknown selector or matching type, or data of the wrong length.";
    DaneBogus = "dane.bogus", Dane, Critical, "critical",
        "DNSSEC validation of the TLSA answer (or of its absence) failed: altered or expired signatures, or a broken chain of trust; DANE-aware senders defer mail.";
    DaneLookupFailed = "dane.lookup_failed", Dane, Critical, "critical / unknown",
        "The TLSA question failed (SERVFAIL, REFUSED; unknown when there was no answer in time); senders whose MX lookup was secure defer mail.";
    DaneInsecure = "dane.insecure", Dane, Info, "info / warning",
        "The TLSA answer is provably unsigned (no DNSSEC): no DANE. Warning when TLSA records are published anyway, since senders ignore them.";
    DaneNoRecords = "dane.no_records", Dane, Info, "info",
        "The zone is signed but publishes no TLSA record for the server: senders use TLS only opportunistically.";
    DaneMxInsecure = "dane.mx_insecure", Dane, Warning, "warning",
        "`mailtls domain`: an MX host publishes signed TLSA records, but the domain's MX answer is not DNSSEC-signed, so senders do not use DANE for it (RFC 7672 section 2.2.1).";
    DnsDnssecUnavailable = "dns.dnssec_unavailable", Dns, Unknown, "unknown",
        "DNSSEC could not be checked: the trust anchor's own zone does not validate through the DNS server mailtls asked (it strips DNSSEC records, serves other keys than the anchor's, or does not serve the anchor's zone), so a bogus or insecure answer through it says nothing of the domain's zone. Shown instead of `dane.bogus`, `dane.insecure` or `dane.mx_insecure`; the fix is to ask a DNS server that returns DNSSEC records.";
    DnsNoMx = "dns.no_mx", Dns, Warning, "warning / info",
        "`mailtls domain`: the domain has no MX record: senders deliver to its own address records (the implicit MX of RFC 5321, checked as a host of preference 0), or, without those, cannot deliver; info for the null MX (RFC 7505), a domain that takes no mail.";
    DnsMxFailed = "dns.mx_failed", Dns, Unknown, "unknown",
        "`mailtls domain`: the MX question failed (SERVFAIL, REFUSED, no answer in time).";
    DnsMxUnresolvable = "dns.mx_unresolvable", Dns, Warning, "warning",
        "`mailtls domain`: an MX host has no address; senders skip it.";
    MtaStsNone = "mtasts.none", MtaSts, Info, "info",
        "`mailtls domain`: no `_mta-sts` TXT record: no MTA-STS (RFC 8461); the fix gives the record and policy to publish.";
    MtaStsRecordInvalid = "mtasts.record_invalid", MtaSts, Warning, "warning / unknown",
        "The `_mta-sts` TXT record is not valid (not `v=STSv1` first, no `id` of 1 to 32 letters and digits, more than one record) or the question failed; senders see no policy. Unknown when no answer came in time.";
    MtaStsPolicyUnavailable = "mtasts.policy_unavailable", MtaSts, Warning, "warning",
        "The record exists but `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` gives no policy: no answer, an untrusted certificate, a status other than 200, a redirect (senders follow none).";
    MtaStsPolicyInvalid = "mtasts.policy_invalid", MtaSts, Warning, "warning",
        "The policy is not valid: version, mode (enforce, testing, none), max_age (at most 31557600), mx lines, or not served as text/plain; senders ignore it.";
    MtaStsMaxAgeShort = "mtasts.max_age_short", MtaSts, Info, "info",
        "The policy's max_age is under a day, so senders forget it soon; a week or more is usual.";
    MtaStsModeNone = "mtasts.mode_none", MtaSts, Info, "info",
        "The policy is `mode: none`: senders drop cached policies; nothing is enforced.";
    MtaStsTesting = "mtasts.testing", MtaSts, Info, "info",
        "The policy is `mode: testing`: failures are reported (TLS-RPT) but mail is delivered anyway.";
    MtaStsMxNotListed = "mtasts.mx_not_listed", MtaSts, Critical, "critical / warning",
        "An MX host matches no `mx` line of the policy (RFC 8461 section 4.1 wildcards): with `mode: enforce` senders will not deliver to it (critical); warning in testing.";
    MtaStsMxCertInvalid = "mtasts.mx_cert_invalid", MtaSts, Critical, "critical / warning",
        "An MX host does not offer STARTTLS at TLS 1.2 or later with a certificate valid for its name under WebPKI: with `mode: enforce` senders will not deliver to it (critical); warning in testing.";
    MtaStsEnforced = "mtasts.enforced", MtaSts, Ok, "ok",
        "The MTA-STS policy is valid, in `mode: enforce`, and every MX host is listed and has a valid certificate.";
    TlsRptNone = "tlsrpt.none", TlsRpt, Info, "info",
        "No `_smtp._tls` TXT record: senders report no TLS failures to the domain (RFC 8460).";
    TlsRptInvalid = "tlsrpt.invalid", TlsRpt, Warning, "warning / unknown",
        "The `_smtp._tls` record is not valid (not `v=TLSRPTv1` first, no `rua`, an address that is not `mailto:` or `https:`, more than one record) or the question failed. Unknown when no answer came in time.";
    TlsRptPublished = "tlsrpt.published", TlsRpt, Ok, "ok",
        "A valid TLS-RPT record; the message lists where reports go.";
    LimitsTruncated = "limits.truncated", Limits, Warning, "warning",
        "A server sent more than mailtls keeps of one check (more than 512 capabilities, a capability longer than 1 KiB, more than 400 transcript lines); the report holds the first part and says what was cut. Real servers stay far below these limits.";
    MailtlsInternalError = "mailtls.internal_error", Mailtls, Unknown, "unknown",
        "A bug in mailtls; please report it with the command line used.";
}

impl Code {
    /// The code with this string, if there is one.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == text)
    }

    /// The docs/findings.md table row of this code.
    pub fn doc_row(self) -> String {
        format!(
            "| `{}` | {} | {} |",
            self.as_str(),
            self.doc_severity(),
            self.meaning()
        )
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
        let text = String::deserialize(d)?;
        Code::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown finding code {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_dotted_strings_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.contains('.')
                    && text.chars().all(|c| c.is_ascii_lowercase()
                        || c.is_ascii_digit()
                        || c == '.'
                        || c == '_'),
                "{text:?}"
            );
            assert_eq!(Code::parse(text), Some(*code));
            let prefix = text.split('.').next().unwrap_or_default();
            assert_eq!(
                format!("{:?}", code.area()).to_ascii_lowercase().get(..3),
                prefix.get(..3),
                "{text}: area"
            );
            assert!(code
                .doc_severity()
                .starts_with(code.default_severity().name()));
        }
    }
}
