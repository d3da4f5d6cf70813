//! Mozilla's server-side TLS recommendations as data, for `--profile`.
//!
//! Source: Mozilla's Server Side TLS guidelines, version 5.7,
//! <https://ssl-config.mozilla.org/guidelines/5.7.json> (`tls_versions`,
//! `ciphers.iana` and `ciphers.openssl` for TLS ≤ 1.2 and `ciphersuites` for
//! TLS 1.3 of each configuration). Suites are matched by their IANA names (the
//! probe's `name`); the OpenSSL names are what Dovecot's `ssl_cipher_list` and
//! Postfix's cipher lists take, for the fix. `tests/probe.rs` holds the two
//! lists naming the same suites.

use crate::facts::probe::TlsVersion;

/// One of Mozilla's three configurations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MozillaProfile {
    /// TLS 1.0 to 1.3, with CBC and 3DES suites: for very old clients.
    Old,
    /// TLS 1.2 and 1.3, ECDHE and DHE with AES-GCM or ChaCha20.
    Intermediate,
    /// TLS 1.3 only.
    Modern,
}

/// What a configuration allows.
#[derive(Debug)]
pub struct Profile {
    /// Mozilla's name: "old", "intermediate", "modern".
    pub name: &'static str,
    /// The versions allowed, oldest first.
    pub versions: &'static [TlsVersion],
    /// The versions a server must accept (modern: TLS 1.3).
    pub required: &'static [TlsVersion],
    /// TLS ≤ 1.2 suites allowed, OpenSSL names, in Mozilla's order.
    pub ciphers: &'static [&'static str],
    /// The same suites by their IANA names.
    pub ciphers_iana: &'static [&'static str],
    /// TLS 1.3 suites allowed.
    pub ciphersuites: &'static [&'static str],
}

/// The guidelines' version the tables below are copied from.
pub const GUIDELINES: &str = "5.7";

const TLS13_SUITES: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

const INTERMEDIATE_CIPHERS: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-AES128-GCM-SHA256",
    "DHE-RSA-AES256-GCM-SHA384",
    "DHE-RSA-CHACHA20-POLY1305",
];

const INTERMEDIATE_IANA: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

const OLD_IANA: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
];

const OLD_CIPHERS: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-AES128-GCM-SHA256",
    "DHE-RSA-AES256-GCM-SHA384",
    "DHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-RSA-AES256-SHA",
    "DHE-RSA-AES128-SHA256",
    "DHE-RSA-AES256-SHA256",
    "AES128-GCM-SHA256",
    "AES256-GCM-SHA384",
    "AES128-SHA256",
    "AES256-SHA256",
    "AES128-SHA",
    "AES256-SHA",
    "DES-CBC3-SHA",
];

static MODERN: Profile = Profile {
    name: "modern",
    versions: &[TlsVersion::Tls13],
    required: &[TlsVersion::Tls13],
    ciphers: &[],
    ciphers_iana: &[],
    ciphersuites: TLS13_SUITES,
};

static INTERMEDIATE: Profile = Profile {
    name: "intermediate",
    versions: &[TlsVersion::Tls12, TlsVersion::Tls13],
    required: &[],
    ciphers: INTERMEDIATE_CIPHERS,
    ciphers_iana: INTERMEDIATE_IANA,
    ciphersuites: TLS13_SUITES,
};

static OLD: Profile = Profile {
    name: "old",
    versions: &[
        TlsVersion::Tls10,
        TlsVersion::Tls11,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
    ],
    required: &[],
    ciphers: OLD_CIPHERS,
    ciphers_iana: OLD_IANA,
    ciphersuites: TLS13_SUITES,
};

impl MozillaProfile {
    pub const ALL: [MozillaProfile; 3] = [
        MozillaProfile::Old,
        MozillaProfile::Intermediate,
        MozillaProfile::Modern,
    ];

    pub fn profile(self) -> &'static Profile {
        match self {
            MozillaProfile::Old => &OLD,
            MozillaProfile::Intermediate => &INTERMEDIATE,
            MozillaProfile::Modern => &MODERN,
        }
    }
}

impl Profile {
    /// Whether a suite (IANA name) is allowed at `version`.
    pub fn allows(&self, version: TlsVersion, iana_name: &str) -> bool {
        let list = match version {
            TlsVersion::Tls13 => self.ciphersuites,
            _ => self.ciphers_iana,
        };
        list.contains(&iana_name)
    }

    /// The server settings that give this configuration, Dovecot's and Postfix's.
    pub fn fix(&self) -> String {
        let lowest = self.versions.first().copied().unwrap_or(TlsVersion::Tls13);
        // Both servers spell TLS 1.0 "TLSv1".
        let min = match lowest {
            TlsVersion::Tls10 => "TLSv1",
            other => other.name(),
        };
        let mut fix = format!(
            "Configure Mozilla's \"{}\" settings: Dovecot: ssl_min_protocol = {min}",
            self.name
        );
        if !self.ciphers.is_empty() {
            fix.push_str(&format!(", ssl_cipher_list = {}", self.ciphers.join(":")));
        }
        fix.push_str(&format!(
            "; Postfix: smtpd_tls_protocols = >={min} and smtpd_tls_mandatory_protocols = >={min}"
        ));
        if !self.ciphers.is_empty() {
            fix.push_str(&format!(
                ", smtpd_tls_ciphers = medium and smtpd_tls_mandatory_ciphers = medium with tls_medium_cipherlist = {}",
                self.ciphers.join(":")
            ));
        }
        fix.push_str(
            ". TLS 1.3 suites are OpenSSL's defaults, which are these. (Mozilla's guidelines ",
        );
        fix.push_str(GUIDELINES);
        fix.push_str(", https://ssl-config.mozilla.org/.)");
        fix
    }
}
