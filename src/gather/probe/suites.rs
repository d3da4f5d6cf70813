//! The cipher-suite table: IANA and OpenSSL names, code, and what each suite is made of.
//!
//! Covers the suites servers really offer, legacy ones included (EXPORT, NULL,
//! anonymous, RC4, DES, 3DES, static DH/ECDH, IDEA, SEED, CAMELLIA, ARIA,
//! ChaCha20, AES-GCM/CCM, TLS 1.3). PSK, SRP and GOST suites are left out: a
//! server picks them only for clients configured with a pre-shared secret.

use serde::{Deserialize, Serialize};

pub use crate::facts::probe::{Auth, Kx, Mac, Weakness};

/// The family of the bulk cipher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CipherKind {
    Null,
    Rc4,
    Rc2,
    Des,
    TripleDes,
    Idea,
    Seed,
    Camellia,
    Aria,
    Aes,
    Chacha20,
}

/// One cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suite {
    pub code: u16,
    /// IANA registry name, e.g. `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
    pub iana: &'static str,
    /// OpenSSL's name, e.g. `ECDHE-RSA-AES128-GCM-SHA256`.
    pub openssl: &'static str,
    pub kx: Kx,
    pub auth: Auth,
    /// IANA spelling of the cipher, e.g. `AES_128_GCM`.
    pub cipher: &'static str,
    pub kind: CipherKind,
    /// Nominal key bits of the cipher.
    pub bits: u16,
    pub mac: Mac,
    pub export: bool,
}

impl Suite {
    pub fn forward_secrecy(&self) -> bool {
        matches!(self.kx, Kx::Dhe | Kx::Ecdhe | Kx::Tls13)
    }

    pub fn aead(&self) -> bool {
        self.mac == Mac::Aead
    }

    pub fn tls13(&self) -> bool {
        self.kx == Kx::Tls13
    }

    /// Usable only with TLS 1.2 (AEAD or SHA-2 MAC); TLS 1.3 suites excluded.
    pub fn tls12_only(&self) -> bool {
        !self.tls13() && matches!(self.mac, Mac::Aead | Mac::Sha256 | Mac::Sha384)
    }

    /// The worst thing about the suite, if anything.
    pub fn weakness(&self) -> Option<Weakness> {
        if self.kind == CipherKind::Null {
            Some(Weakness::Null)
        } else if self.auth == Auth::Anon {
            Some(Weakness::Anon)
        } else if self.export {
            Some(Weakness::Export)
        } else if self.kind == CipherKind::Rc4 {
            Some(Weakness::Rc4)
        } else if matches!(self.kind, CipherKind::Des | CipherKind::Rc2) {
            Some(Weakness::Des)
        } else if self.kind == CipherKind::TripleDes {
            Some(Weakness::TripleDes)
        } else if self.mac == Mac::Md5 {
            Some(Weakness::Md5)
        } else if !self.aead() || !self.forward_secrecy() {
            Some(Weakness::Legacy)
        } else {
            None
        }
    }

    /// Larger is stronger; for picking the strongest and weakest of a list.
    pub fn rank(&self) -> u32 {
        let base = match self.weakness() {
            Some(Weakness::Null) => 0,
            Some(Weakness::Anon) => 1,
            Some(Weakness::Export) => 2,
            Some(Weakness::Rc4) => 3,
            Some(Weakness::Des) => 4,
            Some(Weakness::TripleDes) => 5,
            Some(Weakness::Md5) => 6,
            Some(Weakness::Legacy) if !self.forward_secrecy() => 7,
            Some(Weakness::Legacy) => 8,
            None if self.tls13() => 10,
            None => 9,
        };
        base * 1000 + u32::from(self.bits)
    }
}

/// Looks a suite up by its code.
pub fn by_code(code: u16) -> Option<&'static Suite> {
    SUITES
        .binary_search_by_key(&code, |s| s.code)
        .ok()
        .map(|i| &SUITES[i])
}

/// Looks a suite up by its IANA or OpenSSL name.
pub fn by_name(name: &str) -> Option<&'static Suite> {
    SUITES.iter().find(|s| s.iana == name || s.openssl == name)
}

#[allow(clippy::too_many_arguments)]
const fn s(
    code: u16,
    iana: &'static str,
    openssl: &'static str,
    kx: Kx,
    auth: Auth,
    cipher: &'static str,
    kind: CipherKind,
    bits: u16,
    mac: Mac,
    export: bool,
) -> Suite {
    Suite {
        code,
        iana,
        openssl,
        kx,
        auth,
        cipher,
        kind,
        bits,
        mac,
        export,
    }
}

use CipherKind as Kind;

/// Every known suite, sorted by code.
#[rustfmt::skip]
pub static SUITES: &[Suite] = &[
    s(0x0001, "TLS_RSA_WITH_NULL_MD5", "NULL-MD5", Kx::Rsa, Auth::Rsa, "NULL", Kind::Null, 0, Mac::Md5, false),
    s(0x0002, "TLS_RSA_WITH_NULL_SHA", "NULL-SHA", Kx::Rsa, Auth::Rsa, "NULL", Kind::Null, 0, Mac::Sha1, false),
    s(0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "EXP-RC4-MD5", Kx::Rsa, Auth::Rsa, "RC4_40", Kind::Rc4, 40, Mac::Md5, true),
    s(0x0004, "TLS_RSA_WITH_RC4_128_MD5", "RC4-MD5", Kx::Rsa, Auth::Rsa, "RC4_128", Kind::Rc4, 128, Mac::Md5, false),
    s(0x0005, "TLS_RSA_WITH_RC4_128_SHA", "RC4-SHA", Kx::Rsa, Auth::Rsa, "RC4_128", Kind::Rc4, 128, Mac::Sha1, false),
    s(0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", "EXP-RC2-CBC-MD5", Kx::Rsa, Auth::Rsa, "RC2_CBC_40", Kind::Rc2, 40, Mac::Md5, true),
    s(0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA", "IDEA-CBC-SHA", Kx::Rsa, Auth::Rsa, "IDEA_CBC", Kind::Idea, 128, Mac::Sha1, false),
    s(0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", "EXP-DES-CBC-SHA", Kx::Rsa, Auth::Rsa, "DES40_CBC", Kind::Des, 40, Mac::Sha1, true),
    s(0x0009, "TLS_RSA_WITH_DES_CBC_SHA", "DES-CBC-SHA", Kx::Rsa, Auth::Rsa, "DES_CBC", Kind::Des, 56, Mac::Sha1, false),
    s(0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA", Kx::Rsa, Auth::Rsa, "3DES_EDE_CBC", Kind::TripleDes, 112, Mac::Sha1, false),
    s(0x000B, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA", "EXP-DH-DSS-DES-CBC-SHA", Kx::Dh, Auth::Dss, "DES40_CBC", Kind::Des, 40, Mac::Sha1, true),
    s(0x000C, "TLS_DH_DSS_WITH_DES_CBC_SHA", "DH-DSS-DES-CBC-SHA", Kx::Dh, Auth::Dss, "DES_CBC", Kind::Des, 56, Mac::Sha1, false),
    s(0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA", "DH-DSS-DES-CBC3-SHA", Kx::Dh, Auth::Dss, "3DES_EDE_CBC", Kind::TripleDes, 112, Mac::Sha1, false),
    s(0x000E, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA", "EXP-DH-RSA-DES-CBC-SHA", Kx::Dh, Auth::Rsa, "DES40_CBC", Kind::Des, 40, Mac::Sha1, true),
    s(0x000F, "TLS_DH_RSA_WITH_DES_CBC_SHA", "DH-RSA-DES-CBC-SHA", Kx::Dh, Auth::Rsa, "DES_CBC", Kind::Des, 56, Mac::Sha1, false),
    s(0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA", "DH-RSA-DES-CBC3-SHA", Kx::Dh, Auth::Rsa, "3DES_EDE_CBC", Kind::TripleDes, 112, Mac::Sha1, false),
    s(0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", "EXP-EDH-DSS-DES-CBC-SHA", Kx::Dhe, Auth::Dss, "DES40_CBC", Kind::Des, 40, Mac::Sha1, true),
    s(0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA", "EDH-DSS-DES-CBC-SHA", Kx::Dhe, Auth::Dss, "DES_CBC", Kind::Des, 56, Mac::Sha1, false),
    s(0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "EDH-DSS-DES-CBC3-SHA", Kx::Dhe, Auth::Dss, "3DES_EDE_CBC", Kind::TripleDes, 112, Mac::Sha1, false),
    s(0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", "EXP-EDH-RSA-DES-CBC-SHA", Kx::Dhe, Auth::Rsa, "DES40_CBC", Kind::Des, 40, Mac::Sha1, true),
    s(0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA", "EDH-RSA-DES-CBC-SHA", Kx::Dhe, Auth::Rsa, "DES_CBC", Kind::Des, 56, Mac::Sha1, false),
    s(0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", "EDH-RSA-DES-CBC3-SHA", Kx::Dhe, Auth::Rsa, "3DES_EDE_CBC", Kind::TripleDes, 112, Mac::Sha1, false),
    s(0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5", "EXP-ADH-RC4-MD5", Kx::Dhe, Auth::Anon, "RC4_40", Kind::Rc4, 40, Mac::Md5, true),
    s(0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", "ADH-RC4-MD5", Kx::Dhe, Auth::Anon, "RC4_128", Kind::Rc4, 128, Mac::Md5, false),
    s(0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA", "EXP-ADH-DES-CBC-SHA", Kx::Dhe, Auth::Anon, "DES40_CBC", Kind::Des, 40, Mac::Sha1, true),
    s(0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA", "ADH-DES-CBC-SHA", Kx::Dhe, Auth::Anon, "DES_CBC", Kind::Des, 56, Mac::Sha1, false),
    s(0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", "ADH-DES-CBC3-SHA", Kx::Dhe, Auth::Anon, "3DES_EDE_CBC", Kind::TripleDes, 112, Mac::Sha1, false),
    s(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA", Kx::Rsa, Auth::Rsa, "AES_128_CBC", Kind::Aes, 128, Mac::Sha1, false),
    s(0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA", "DH-DSS-AES128-SHA", Kx::Dh, Auth::Dss, "AES_128_CBC", Kind::Aes, 128, Mac::Sha1, false),
    s(0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA", "DH-RSA-AES128-SHA", Kx::Dh, Auth::Rsa, "AES_128_CBC", Kind::Aes, 128, Mac::Sha1, false),
    s(0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", "DHE-DSS-AES128-SHA", Kx::Dhe, Auth::Dss, "AES_128_CBC", Kind::Aes, 128, Mac::Sha1, false),
    s(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DHE-RSA-AES128-SHA", Kx::Dhe, Auth::Rsa, "AES_128_CBC", Kind::Aes, 128, Mac::Sha1, false),
    s(0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", "ADH-AES128-SHA", Kx::Dhe, Auth::Anon, "AES_128_CBC", Kind::Aes, 128, Mac::Sha1, false),
    s(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA", Kx::Rsa, Auth::Rsa, "AES_256_CBC", Kind::Aes, 256, Mac::Sha1, false),
    s(0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA", "DH-DSS-AES256-SHA", Kx::Dh, Auth::Dss, "AES_256_CBC", Kind::Aes, 256, Mac::Sha1, false),
    s(0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA", "DH-RSA-AES256-SHA", Kx::Dh, Auth::Rsa, "AES_256_CBC", Kind::Aes, 256, Mac::Sha1, false),
    s(0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", "DHE-DSS-AES256-SHA", Kx::Dhe, Auth::Dss, "AES_256_CBC", Kind::Aes, 256, Mac::Sha1, false),
    s(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "DHE-RSA-AES256-SHA", Kx::Dhe, Auth::Rsa, "AES_256_CBC", Kind::Aes, 256, Mac::Sha1, false),
    s(0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA", "ADH-AES256-SHA", Kx::Dhe, Auth::Anon, "AES_256_CBC", Kind::Aes, 256, Mac::Sha1, false),
    s(0x003B, "TLS_RSA_WITH_NULL_SHA256", "NULL-SHA256", Kx::Rsa, Auth::Rsa, "NULL", Kind::Null, 0, Mac::Sha256, false),
    s(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256", Kx::Rsa, Auth::Rsa, "AES_128_CBC", Kind::Aes, 128, Mac::Sha256, false),
    s(0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256", Kx::Rsa, Auth::Rsa, "AES_256_CBC", Kind::Aes, 256, Mac::Sha256, false),
    s(0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", "DHE-DSS-AES128-SHA256", Kx::Dhe, Auth::Dss, "AES_128_CBC", Kind::Aes, 128, Mac::Sha256, false),
    s(0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", "CAMELLIA128-SHA", Kx::Rsa, Auth::Rsa, "CAMELLIA_128_CBC", Kind::Camellia, 128, Mac::Sha1, false),
    s(0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA", "DHE-DSS-CAMELLIA128-SHA", Kx::Dhe, Auth::Dss, "CAMELLIA_128_CBC", Kind::Camellia, 128, Mac::Sha1, false),
    s(0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", "DHE-RSA-CAMELLIA128-SHA", Kx::Dhe, Auth::Rsa, "CAMELLIA_128_CBC", Kind::Camellia, 128, Mac::Sha1, false),
    s(0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA", "ADH-CAMELLIA128-SHA", Kx::Dhe, Auth::Anon, "CAMELLIA_128_CBC", Kind::Camellia, 128, Mac::Sha1, false),
    s(0x0062, "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA", "EXP1024-DES-CBC-SHA", Kx::Rsa, Auth::Rsa, "DES_CBC", Kind::Des, 56, Mac::Sha1, true),
    s(0x0063, "TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA", "EXP1024-DHE-DSS-DES-CBC-SHA", Kx::Dhe, Auth::Dss, "DES_CBC", Kind::Des, 56, Mac::Sha1, true),
    s(0x0064, "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA", "EXP1024-RC4-SHA", Kx::Rsa, Auth::Rsa, "RC4_56", Kind::Rc4, 56, Mac::Sha1, true),
    s(0x0065, "TLS_DHE_DSS_EXPORT1024_WITH_RC4_56_SHA", "EXP1024-DHE-DSS-RC4-SHA", Kx::Dhe, Auth::Dss, "RC4_56", Kind::Rc4, 56, Mac::Sha1, true),
    s(0x0066, "TLS_DHE_DSS_WITH_RC4_128_SHA", "DHE-DSS-RC4-SHA", Kx::Dhe, Auth::Dss, "RC4_128", Kind::Rc4, 128, Mac::Sha1, false),
    s(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "DHE-RSA-AES128-SHA256", Kx::Dhe, Auth::Rsa, "AES_128_CBC", Kind::Aes, 128, Mac::Sha256, false),
    s(0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", "DHE-DSS-AES256-SHA256", Kx::Dhe, Auth::Dss, "AES_256_CBC", Kind::Aes, 256, Mac::Sha256, false),
    s(0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", "DHE-RSA-AES256-SHA256", Kx::Dhe, Auth::Rsa, "AES_256_CBC", Kind::Aes, 256, Mac::Sha256, false),
    s(0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256", "ADH-AES128-SHA256", Kx::Dhe, Auth::Anon, "AES_128_CBC", Kind::Aes, 128, Mac::Sha256, false),
    s(0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256", "ADH-AES256-SHA256", Kx::Dhe, Auth::Anon, "AES_256_CBC", Kind::Aes, 256, Mac::Sha256, false),
    s(0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", "CAMELLIA256-SHA", Kx::Rsa, Auth::Rsa, "CAMELLIA_256_CBC", Kind::Camellia, 256, Mac::Sha1, false),
    s(0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA", "DHE-DSS-CAMELLIA256-SHA", Kx::Dhe, Auth::Dss, "CAMELLIA_256_CBC", Kind::Camellia, 256, Mac::Sha1, false),
    s(0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", "DHE-RSA-CAMELLIA256-SHA", Kx::Dhe, Auth::Rsa, "CAMELLIA_256_CBC", Kind::Camellia, 256, Mac::Sha1, false),
    s(0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA", "ADH-CAMELLIA256-SHA", Kx::Dhe, Auth::Anon, "CAMELLIA_256_CBC", Kind::Camellia, 256, Mac::Sha1, false),
    s(0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", "SEED-SHA", Kx::Rsa, Auth::Rsa, "SEED_CBC", Kind::Seed, 128, Mac::Sha1, false),
    s(0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA", "DHE-DSS-SEED-SHA", Kx::Dhe, Auth::Dss, "SEED_CBC", Kind::Seed, 128, Mac::Sha1, false),
    s(0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA", "DHE-RSA-SEED-SHA", Kx::Dhe, Auth::Rsa, "SEED_CBC", Kind::Seed, 128, Mac::Sha1, false),
    s(0x009B, "TLS_DH_anon_WITH_SEED_CBC_SHA", "ADH-SEED-SHA", Kx::Dhe, Auth::Anon, "SEED_CBC", Kind::Seed, 128, Mac::Sha1, false),
    s(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256", Kx::Rsa, Auth::Rsa, "AES_128_GCM", Kind::Aes, 128, Mac::Aead, false),
    s(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384", Kx::Rsa, Auth::Rsa, "AES_256_GCM", Kind::Aes, 256, Mac::Aead, false),
    s(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "DHE-RSA-AES128-GCM-SHA256", Kx::Dhe, Auth::Rsa, "AES_128_GCM", Kind::Aes, 128, Mac::Aead, false),
    s(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE-RSA-AES256-GCM-SHA384", Kx::Dhe, Auth::Rsa, "AES_256_GCM", Kind::Aes, 256, Mac::Aead, false),
    s(0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", "DHE-DSS-AES128-GCM-SHA256", Kx::Dhe, Auth::Dss, "AES_128_GCM", Kind::Aes, 128, Mac::Aead, false),
    s(0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", "DHE-DSS-AES256-GCM-SHA384", Kx::Dhe, Auth::Dss, "AES_256_GCM", Kind::Aes, 256, Mac::Aead, false),
    s(0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256", "ADH-AES128-GCM-SHA256", Kx::Dhe, Auth::Anon, "AES_128_GCM", Kind::Aes, 128, Mac::Aead, false),
    s(0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384", "ADH-AES256-GCM-SHA384", Kx::Dhe, Auth::Anon, "AES_256_GCM", Kind::Aes, 256, Mac::Aead, false),
    s(0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256", "CAMELLIA128-SHA256", Kx::Rsa, Auth::Rsa, "CAMELLIA_128_CBC", Kind::Camellia, 128, Mac::Sha256, false),
    s(0x00BD, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256", "DHE-DSS-CAMELLIA128-SHA256", Kx::Dhe, Auth::Dss, "CAMELLIA_128_CBC", Kind::Camellia, 128, Mac::Sha256, false),
    s(0x00BE, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", "DHE-RSA-CAMELLIA128-SHA256", Kx::Dhe, Auth::Rsa, "CAMELLIA_128_CBC", Kind::Camellia, 128, Mac::Sha256, false),
    s(0x00BF, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256", "ADH-CAMELLIA128-SHA256", Kx::Dhe, Auth::Anon, "CAMELLIA_128_CBC", Kind::Camellia, 128, Mac::Sha256, false),
    s(0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256", "CAMELLIA256-SHA256", Kx::Rsa, Auth::Rsa, "CAMELLIA_256_CBC", Kind::Camellia, 256, Mac::Sha256, false),
    s(0x00C3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256", "DHE-DSS-CAMELLIA256-SHA256", Kx::Dhe, Auth::Dss, "CAMELLIA_256_CBC", Kind::Camellia, 256, Mac::Sha256, false),
    s(0x00C4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256", "DHE-RSA-CAMELLIA256-SHA256", Kx::Dhe, Auth::Rsa, "CAMELLIA_256_CBC", Kind::Camellia, 256, Mac::Sha256, false),
    s(0x00C5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256", "ADH-CAMELLIA256-SHA256", Kx::Dhe, Auth::Anon, "CAMELLIA_256_CBC", Kind::Camellia, 256, Mac::Sha256, false),
    s(0x1301, "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", Kx::Tls13, Auth::Any, "AES_128_GCM", Kind::Aes, 128, Mac::Aead, false),
    s(0x1302, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", Kx::Tls13, Auth::Any, "AES_256_GCM", Kind::Aes, 256, Mac::Aead, false),
    s(0x1303, "TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", Kx::Tls13, Auth::Any, "CHACHA20_POLY1305", Kind::Chacha20, 256, Mac::Aead, false),
    s(0x1304, "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_SHA256", Kx::Tls13, Auth::Any, "AES_128_CCM", Kind::Aes, 128, Mac::Aead, false),
    s(0x1305, "TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_CCM_8_SHA256", Kx::Tls13, Auth::Any, "AES_128_CCM_8", Kind::Aes, 128, Mac::Aead, false),
    s(0xC001, "TLS_ECDH_ECDSA_WITH_NULL_SHA", "ECDH-ECDSA-NULL-SHA", Kx::Ecdh, Auth::Ecdsa, "NULL", Kind::Null, 0, Mac::Sha1, false),
    s(0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA", "ECDH-ECDSA-RC4-SHA", Kx::Ecdh, Auth::Ecdsa, "RC4_128", Kind::Rc4, 128, Mac::Sha1, false),
    s(0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA", "ECDH-ECDSA-DES-CBC3-SHA", Kx::Ecdh, Auth::Ecdsa, "3DES_EDE_CBC", Kind::TripleDes, 112, Mac::Sha1, false),
    s(0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", "ECDH-ECDSA-AES128-SHA", Kx::Ecdh, Auth::Ecdsa, "AES_128_CBC", Kind::Aes, 128, Mac::Sha1, false),
    s(0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", "ECDH-ECDSA-AES256-SHA", Kx::Ecdh, Auth::Ecdsa, "AES_256_CBC", Kind::Aes, 256, Mac::Sha1, false),
    s(0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", "ECDHE-ECDSA-NULL-SHA", Kx::Ecdhe, Auth::Ecdsa, "NULL", Kind::Null, 0, Mac::Sha1, false),
    s(0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "ECDHE-ECDSA-RC4-SHA", Kx::Ecdhe, Auth::Ecdsa, "RC4_128", Kind::Rc4, 128, Mac::Sha1, false),
    s(0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-ECDSA-DES-CBC3-SHA", Kx::Ecdhe, Auth::Ecdsa, "3DES_EDE_CBC", Kind::TripleDes, 112, Mac::Sha1, false),
    s(0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA", Kx::Ecdhe, Auth::Ecdsa, "AES_128_CBC", Kind::Aes, 128, Mac::Sha1, false),
    s(0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA", Kx::Ecdhe, Auth::Ecdsa, "AES_256_CBC", Kind::Aes, 256, Mac::Sha1, false),
    s(0xC00B, "TLS_ECDH_RSA_WITH_NULL_SHA", "ECDH-RSA-NULL-SHA", Kx::Ecdh, Auth::Rsa, "NULL", Kind::Null, 0, Mac::Sha1, false),
    s(0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA", "ECDH-RSA-RC4-SHA", Kx::Ecdh, Auth::Rsa, "RC4_128", Kind::Rc4, 128, Mac::Sha1, false),
    s(0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", "ECDH-RSA-DES-CBC3-SHA", Kx::Ecdh, Auth::Rsa, "3DES_EDE_CBC", Kind::TripleDes, 112, Mac::Sha1, false),
    s(0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", "ECDH-RSA-AES128-SHA", Kx::Ecdh, Auth::Rsa, "AES_128_CBC", Kind::Aes, 128, Mac::Sha1, false),
    s(0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA", "ECDH-RSA-AES256-SHA", Kx::Ecdh, Auth::Rsa, "AES_256_CBC", Kind::Aes, 256, Mac::Sha1, false),
    s(0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA", "ECDHE-RSA-NULL-SHA", Kx::Ecdhe, Auth::Rsa, "NULL", Kind::Null, 0, Mac::Sha1, false),
    s(0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "ECDHE-RSA-RC4-SHA", Kx::Ecdhe, Auth::Rsa, "RC4_128", Kind::Rc4, 128, Mac::Sha1, false),
    s(0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA", Kx::Ecdhe, Auth::Rsa, "3DES_EDE_CBC", Kind::TripleDes, 112, Mac::Sha1, false),
    s(0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA", Kx::Ecdhe, Auth::Rsa, "AES_128_CBC", Kind::Aes, 128, Mac::Sha1, false),
    s(0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA", Kx::Ecdhe, Auth::Rsa, "AES_256_CBC", Kind::Aes, 256, Mac::Sha1, false),
    s(0xC015, "TLS_ECDH_anon_WITH_NULL_SHA", "AECDH-NULL-SHA", Kx::Ecdhe, Auth::Anon, "NULL", Kind::Null, 0, Mac::Sha1, false),
    s(0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA", "AECDH-RC4-SHA", Kx::Ecdhe, Auth::Anon, "RC4_128", Kind::Rc4, 128, Mac::Sha1, false),
    s(0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", "AECDH-DES-CBC3-SHA", Kx::Ecdhe, Auth::Anon, "3DES_EDE_CBC", Kind::TripleDes, 112, Mac::Sha1, false),
    s(0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "AECDH-AES128-SHA", Kx::Ecdhe, Auth::Anon, "AES_128_CBC", Kind::Aes, 128, Mac::Sha1, false),
    s(0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", "AECDH-AES256-SHA", Kx::Ecdhe, Auth::Anon, "AES_256_CBC", Kind::Aes, 256, Mac::Sha1, false),
    s(0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256", Kx::Ecdhe, Auth::Ecdsa, "AES_128_CBC", Kind::Aes, 128, Mac::Sha256, false),
    s(0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE-ECDSA-AES256-SHA384", Kx::Ecdhe, Auth::Ecdsa, "AES_256_CBC", Kind::Aes, 256, Mac::Sha384, false),
    s(0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", "ECDH-ECDSA-AES128-SHA256", Kx::Ecdh, Auth::Ecdsa, "AES_128_CBC", Kind::Aes, 128, Mac::Sha256, false),
    s(0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384", "ECDH-ECDSA-AES256-SHA384", Kx::Ecdh, Auth::Ecdsa, "AES_256_CBC", Kind::Aes, 256, Mac::Sha384, false),
    s(0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256", Kx::Ecdhe, Auth::Rsa, "AES_128_CBC", Kind::Aes, 128, Mac::Sha256, false),
    s(0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "ECDHE-RSA-AES256-SHA384", Kx::Ecdhe, Auth::Rsa, "AES_256_CBC", Kind::Aes, 256, Mac::Sha384, false),
    s(0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", "ECDH-RSA-AES128-SHA256", Kx::Ecdh, Auth::Rsa, "AES_128_CBC", Kind::Aes, 128, Mac::Sha256, false),
    s(0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384", "ECDH-RSA-AES256-SHA384", Kx::Ecdh, Auth::Rsa, "AES_256_CBC", Kind::Aes, 256, Mac::Sha384, false),
    s(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", Kx::Ecdhe, Auth::Ecdsa, "AES_128_GCM", Kind::Aes, 128, Mac::Aead, false),
    s(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384", Kx::Ecdhe, Auth::Ecdsa, "AES_256_GCM", Kind::Aes, 256, Mac::Aead, false),
    s(0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", "ECDH-ECDSA-AES128-GCM-SHA256", Kx::Ecdh, Auth::Ecdsa, "AES_128_GCM", Kind::Aes, 128, Mac::Aead, false),
    s(0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", "ECDH-ECDSA-AES256-GCM-SHA384", Kx::Ecdh, Auth::Ecdsa, "AES_256_GCM", Kind::Aes, 256, Mac::Aead, false),
    s(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", Kx::Ecdhe, Auth::Rsa, "AES_128_GCM", Kind::Aes, 128, Mac::Aead, false),
    s(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384", Kx::Ecdhe, Auth::Rsa, "AES_256_GCM", Kind::Aes, 256, Mac::Aead, false),
    s(0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", "ECDH-RSA-AES128-GCM-SHA256", Kx::Ecdh, Auth::Rsa, "AES_128_GCM", Kind::Aes, 128, Mac::Aead, false),
    s(0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", "ECDH-RSA-AES256-GCM-SHA384", Kx::Ecdh, Auth::Rsa, "AES_256_GCM", Kind::Aes, 256, Mac::Aead, false),
    s(0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256", "ARIA128-GCM-SHA256", Kx::Rsa, Auth::Rsa, "ARIA_128_GCM", Kind::Aria, 128, Mac::Aead, false),
    s(0xC051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384", "ARIA256-GCM-SHA384", Kx::Rsa, Auth::Rsa, "ARIA_256_GCM", Kind::Aria, 256, Mac::Aead, false),
    s(0xC052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256", "DHE-RSA-ARIA128-GCM-SHA256", Kx::Dhe, Auth::Rsa, "ARIA_128_GCM", Kind::Aria, 128, Mac::Aead, false),
    s(0xC053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384", "DHE-RSA-ARIA256-GCM-SHA384", Kx::Dhe, Auth::Rsa, "ARIA_256_GCM", Kind::Aria, 256, Mac::Aead, false),
    s(0xC056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256", "DHE-DSS-ARIA128-GCM-SHA256", Kx::Dhe, Auth::Dss, "ARIA_128_GCM", Kind::Aria, 128, Mac::Aead, false),
    s(0xC057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384", "DHE-DSS-ARIA256-GCM-SHA384", Kx::Dhe, Auth::Dss, "ARIA_256_GCM", Kind::Aria, 256, Mac::Aead, false),
    s(0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256", "ECDHE-ECDSA-ARIA128-GCM-SHA256", Kx::Ecdhe, Auth::Ecdsa, "ARIA_128_GCM", Kind::Aria, 128, Mac::Aead, false),
    s(0xC05D, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384", "ECDHE-ECDSA-ARIA256-GCM-SHA384", Kx::Ecdhe, Auth::Ecdsa, "ARIA_256_GCM", Kind::Aria, 256, Mac::Aead, false),
    s(0xC060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256", "ECDHE-ARIA128-GCM-SHA256", Kx::Ecdhe, Auth::Rsa, "ARIA_128_GCM", Kind::Aria, 128, Mac::Aead, false),
    s(0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", "ECDHE-ARIA256-GCM-SHA384", Kx::Ecdhe, Auth::Rsa, "ARIA_256_GCM", Kind::Aria, 256, Mac::Aead, false),
    s(0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE-ECDSA-CAMELLIA128-SHA256", Kx::Ecdhe, Auth::Ecdsa, "CAMELLIA_128_CBC", Kind::Camellia, 128, Mac::Sha256, false),
    s(0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", "ECDHE-ECDSA-CAMELLIA256-SHA384", Kx::Ecdhe, Auth::Ecdsa, "CAMELLIA_256_CBC", Kind::Camellia, 256, Mac::Sha384, false),
    s(0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE-RSA-CAMELLIA128-SHA256", Kx::Ecdhe, Auth::Rsa, "CAMELLIA_128_CBC", Kind::Camellia, 128, Mac::Sha256, false),
    s(0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", "ECDHE-RSA-CAMELLIA256-SHA384", Kx::Ecdhe, Auth::Rsa, "CAMELLIA_256_CBC", Kind::Camellia, 256, Mac::Sha384, false),
    s(0xC09C, "TLS_RSA_WITH_AES_128_CCM", "AES128-CCM", Kx::Rsa, Auth::Rsa, "AES_128_CCM", Kind::Aes, 128, Mac::Aead, false),
    s(0xC09D, "TLS_RSA_WITH_AES_256_CCM", "AES256-CCM", Kx::Rsa, Auth::Rsa, "AES_256_CCM", Kind::Aes, 256, Mac::Aead, false),
    s(0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM", "DHE-RSA-AES128-CCM", Kx::Dhe, Auth::Rsa, "AES_128_CCM", Kind::Aes, 128, Mac::Aead, false),
    s(0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM", "DHE-RSA-AES256-CCM", Kx::Dhe, Auth::Rsa, "AES_256_CCM", Kind::Aes, 256, Mac::Aead, false),
    s(0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", "AES128-CCM8", Kx::Rsa, Auth::Rsa, "AES_128_CCM_8", Kind::Aes, 128, Mac::Aead, false),
    s(0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8", "AES256-CCM8", Kx::Rsa, Auth::Rsa, "AES_256_CCM_8", Kind::Aes, 256, Mac::Aead, false),
    s(0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", "DHE-RSA-AES128-CCM8", Kx::Dhe, Auth::Rsa, "AES_128_CCM_8", Kind::Aes, 128, Mac::Aead, false),
    s(0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", "DHE-RSA-AES256-CCM8", Kx::Dhe, Auth::Rsa, "AES_256_CCM_8", Kind::Aes, 256, Mac::Aead, false),
    s(0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "ECDHE-ECDSA-AES128-CCM", Kx::Ecdhe, Auth::Ecdsa, "AES_128_CCM", Kind::Aes, 128, Mac::Aead, false),
    s(0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", "ECDHE-ECDSA-AES256-CCM", Kx::Ecdhe, Auth::Ecdsa, "AES_256_CCM", Kind::Aes, 256, Mac::Aead, false),
    s(0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "ECDHE-ECDSA-AES128-CCM8", Kx::Ecdhe, Auth::Ecdsa, "AES_128_CCM_8", Kind::Aes, 128, Mac::Aead, false),
    s(0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", "ECDHE-ECDSA-AES256-CCM8", Kx::Ecdhe, Auth::Ecdsa, "AES_256_CCM_8", Kind::Aes, 256, Mac::Aead, false),
    s(0xCC13, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_OLD", "ECDHE-RSA-CHACHA20-POLY1305-OLD", Kx::Ecdhe, Auth::Rsa, "CHACHA20_POLY1305", Kind::Chacha20, 256, Mac::Aead, false),
    s(0xCC14, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_OLD", "ECDHE-ECDSA-CHACHA20-POLY1305-OLD", Kx::Ecdhe, Auth::Ecdsa, "CHACHA20_POLY1305", Kind::Chacha20, 256, Mac::Aead, false),
    s(0xCC15, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_OLD", "DHE-RSA-CHACHA20-POLY1305-OLD", Kx::Dhe, Auth::Rsa, "CHACHA20_POLY1305", Kind::Chacha20, 256, Mac::Aead, false),
    s(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305", Kx::Ecdhe, Auth::Rsa, "CHACHA20_POLY1305", Kind::Chacha20, 256, Mac::Aead, false),
    s(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", Kx::Ecdhe, Auth::Ecdsa, "CHACHA20_POLY1305", Kind::Chacha20, 256, Mac::Aead, false),
    s(0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "DHE-RSA-CHACHA20-POLY1305", Kx::Dhe, Auth::Rsa, "CHACHA20_POLY1305", Kind::Chacha20, 256, Mac::Aead, false),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in SUITES.windows(2) {
            assert!(pair[0].code < pair[1].code, "{:#06x}", pair[1].code);
        }
        let mut names: Vec<_> = SUITES.iter().map(|s| s.openssl).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SUITES.len());
    }

    #[test]
    fn classification() {
        let get = |name| by_name(name).expect(name);
        assert_eq!(get("RC4-SHA").weakness(), Some(Weakness::Rc4));
        assert_eq!(get("EXP-RC4-MD5").weakness(), Some(Weakness::Export));
        assert_eq!(get("NULL-SHA").weakness(), Some(Weakness::Null));
        assert_eq!(get("ADH-AES128-SHA").weakness(), Some(Weakness::Anon));
        assert_eq!(get("AECDH-AES128-SHA").weakness(), Some(Weakness::Anon));
        assert_eq!(get("DES-CBC-SHA").weakness(), Some(Weakness::Des));
        assert_eq!(get("DES-CBC3-SHA").weakness(), Some(Weakness::TripleDes));
        assert_eq!(get("AES128-SHA").weakness(), Some(Weakness::Legacy));
        assert_eq!(get("AES128-GCM-SHA256").weakness(), Some(Weakness::Legacy));
        assert_eq!(
            get("ECDHE-RSA-AES128-SHA").weakness(),
            Some(Weakness::Legacy)
        );
        assert_eq!(get("ECDHE-RSA-AES128-GCM-SHA256").weakness(), None);
        assert_eq!(get("TLS_AES_256_GCM_SHA384").weakness(), None);
        let chacha = by_code(0xCCA8).expect("chacha");
        assert_eq!(chacha.iana, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
        assert!(chacha.aead() && chacha.forward_secrecy() && chacha.tls12_only());
        assert!(!get("AES128-SHA").forward_secrecy());
        assert!(!get("AES128-SHA").tls12_only());
        assert!(get("TLS_AES_128_GCM_SHA256").tls13());
        assert!(get("TLS_AES_256_GCM_SHA384").rank() > get("ECDHE-RSA-AES256-GCM-SHA384").rank());
        assert!(get("ECDHE-RSA-AES256-SHA").rank() > get("AES256-SHA").rank());
        assert!(get("AES256-SHA").rank() > get("DES-CBC3-SHA").rank());
    }
}
