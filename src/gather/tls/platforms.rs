//! The root stores of the platforms mail clients run on (Apple, Windows,
//! Android current and 8, Java), embedded from `data/trust-stores/` as trust
//! anchors parsed at build time (`build.rs`), and the chain judged by each.
//! (Mozilla's dated bundle is kept there for the record; the checks themselves
//! use webpki-roots, the same Mozilla program, as the `Mozilla` store.) The
//! PEM bundles are read at build time only.
//!
//! A platform's distrusted list is taken out of its trusted list, so a root
//! the vendor has disabled never anchors a chain. The bundles' versions and
//! dates come from the same folder's `manifest.json` (`mailtls clients`).

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use serde::Deserialize;

use super::trust::{LoadingStore, TrustStore, VerificationCache};
use crate::facts::tls::{StoreKind, StoreVerdict};

/// One bundle of `data/trust-stores/`: the store it belongs to, trusted or
/// distrusted. `build.rs` turns them into the anchors below; the PEM itself
/// is not in the binary.
struct Bundle {
    store: StoreKind,
    distrusted: bool,
    file: &'static str,
}

const BUNDLES: &[Bundle] = &[
    Bundle {
        store: StoreKind::Apple,
        distrusted: false,
        file: "apple.pem",
    },
    Bundle {
        store: StoreKind::Microsoft,
        distrusted: false,
        file: "microsoft.pem",
    },
    Bundle {
        store: StoreKind::Microsoft,
        distrusted: true,
        file: "distrusted-microsoft.pem",
    },
    Bundle {
        store: StoreKind::Android,
        distrusted: false,
        file: "android.pem",
    },
    Bundle {
        store: StoreKind::Android8,
        distrusted: false,
        file: "android-8.pem",
    },
    Bundle {
        store: StoreKind::Mozilla,
        distrusted: false,
        file: "mozilla.pem",
    },
    Bundle {
        store: StoreKind::Java,
        distrusted: false,
        file: "java.pem",
    },
    Bundle {
        store: StoreKind::Java,
        distrusted: true,
        file: "distrusted-java.pem",
    },
];

/// The platform stores, in the order verdicts are reported.
pub const PLATFORMS: [StoreKind; 5] = StoreKind::PLATFORMS;

/// The manifest of the embedded bundles.
const MANIFEST: &str = include_str!("../../../data/trust-stores/manifest.json");

/// One row of `manifest.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestEntry {
    pub file: String,
    pub store: String,
    pub kind: String,
    pub platform: String,
    pub version: Option<String>,
    pub date_fetched: String,
    pub source_url: String,
    pub used_by: String,
    pub count: usize,
    #[serde(default)]
    pub missing_pem: Vec<serde_json::Value>,
}

/// The manifest's rows (empty if it does not read, which a test rules out).
pub fn manifest() -> Vec<ManifestEntry> {
    serde_json::from_str(MANIFEST).unwrap_or_default()
}

/// The manifest file name of each platform's trusted bundle.
pub fn bundle_file(store: StoreKind) -> Option<&'static str> {
    BUNDLES
        .iter()
        .find(|b| b.store == store && !b.distrusted)
        .map(|b| b.file)
}

/// The trust anchors `build.rs` made of each platform's bundle less its
/// distrusted list, parsed before the run (a test holds them equal to the
/// roots parsed at run time).
mod anchors {
    include!(concat!(env!("OUT_DIR"), "/anchors.rs"));
}

/// A platform's pre-parsed trust anchors.
fn anchors(store: StoreKind) -> &'static [TrustAnchor<'static>] {
    match store {
        StoreKind::Apple => anchors::APPLE,
        StoreKind::Microsoft => anchors::MICROSOFT,
        StoreKind::Android => anchors::ANDROID,
        StoreKind::Android8 => anchors::ANDROID_8,
        StoreKind::Java => anchors::JAVA,
        StoreKind::Mozilla | StoreKind::System | StoreKind::CaFiles => &[],
    }
}

/// Every platform's store, loading in the background from the first use on.
#[derive(Debug, Clone)]
pub struct PlatformStores {
    stores: Vec<(StoreKind, Arc<LoadingStore>)>,
}

impl PlatformStores {
    /// Every platform store: the embedded ones at once from their pre-parsed
    /// anchors; a replaced one is parsed on a thread of its own, and the first
    /// chain to judge waits for it.
    /// `replaced` gives a platform other roots than its embedded bundle
    /// (`--platform-store`: a newer store, or a test's own root).
    pub fn load(
        provider: &Arc<CryptoProvider>,
        replaced: &[(StoreKind, Vec<CertificateDer<'static>>)],
        cache: Option<Arc<VerificationCache>>,
    ) -> PlatformStores {
        let stores = PLATFORMS
            .iter()
            .map(|&kind| {
                let provider = provider.clone();
                let given = replaced
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .map(|(_, roots)| roots.clone());
                let cache = cache.clone();
                let store = match given {
                    Some(given) => LoadingStore::in_background(move || {
                        TrustStore::from_roots(given, &provider).map(|s| s.with_cache(cache))
                    }),
                    None => LoadingStore::ready(
                        TrustStore::from_anchors(anchors(kind).to_vec(), &provider)
                            .map(|s| s.with_cache(cache)),
                    ),
                };
                (kind, store)
            })
            .collect();
        PlatformStores { stores }
    }

    /// The platform a `--platform-store` name stands for.
    pub fn named(name: &str) -> Option<StoreKind> {
        match name {
            "apple" => Some(StoreKind::Apple),
            "microsoft" | "windows" => Some(StoreKind::Microsoft),
            "android" => Some(StoreKind::Android),
            "android-8" | "android8" => Some(StoreKind::Android8),
            "java" => Some(StoreKind::Java),
            _ => None,
        }
    }

    /// No platform stores (for callers that judge no clients).
    pub fn none() -> PlatformStores {
        PlatformStores { stores: Vec::new() }
    }

    /// The chain as each platform's store judges it, for `name` at `now`.
    pub fn judge(
        &self,
        chain: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        now: UnixTime,
    ) -> Vec<StoreVerdict> {
        self.stores
            .iter()
            .map(|(kind, store)| match store.get() {
                Ok(store) => StoreVerdict::judged(*kind, store.verify(chain, name, now)),
                Err(why) => StoreVerdict::unavailable(*kind, why),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rustls::pki_types::pem::PemObject;

    use super::*;

    /// The certificates of a bundle, as DER, read from `data/trust-stores/`.
    fn certificates(bundle: &Bundle) -> Vec<CertificateDer<'static>> {
        let path = format!(
            "{}/data/trust-stores/{}",
            env!("CARGO_MANIFEST_DIR"),
            bundle.file
        );
        let pem = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        CertificateDer::pem_slice_iter(&pem)
            .filter_map(Result::ok)
            .collect()
    }

    /// The roots a platform trusts: its bundle less its distrusted list.
    fn roots(store: StoreKind) -> Vec<CertificateDer<'static>> {
        let distrusted: HashSet<Vec<u8>> = BUNDLES
            .iter()
            .filter(|b| b.store == store && b.distrusted)
            .flat_map(certificates)
            .map(|c| c.as_ref().to_vec())
            .collect();
        BUNDLES
            .iter()
            .filter(|b| b.store == store && !b.distrusted)
            .flat_map(certificates)
            .filter(|c| !distrusted.contains(c.as_ref()))
            .collect()
    }

    #[test]
    fn the_embedded_bundles_match_the_manifest() {
        let manifest = manifest();
        assert_eq!(manifest.len(), BUNDLES.len(), "one manifest row per bundle");
        for bundle in BUNDLES {
            let row = manifest
                .iter()
                .find(|m| m.file == bundle.file)
                .unwrap_or_else(|| panic!("{} is not in the manifest", bundle.file));
            let parsed = certificates(bundle).len();
            // `missing_pem` lists fingerprints the data set had no PEM for at first;
            // where the bundle was completed since, the count is met without them.
            assert!(
                parsed == row.count || parsed + row.missing_pem.len() == row.count,
                "{}: {parsed} certificates read, the manifest counts {} ({} without PEM)",
                bundle.file,
                row.count,
                row.missing_pem.len()
            );
            assert_eq!(row.kind == "blocked", bundle.distrusted, "{}", bundle.file);
        }
    }

    #[test]
    fn distrusted_roots_never_anchor() {
        let trusted = certificates(&BUNDLES[1]);
        let distrusted = certificates(&BUNDLES[2]);
        let kept = roots(StoreKind::Microsoft);
        let overlap = trusted.iter().filter(|c| distrusted.contains(c)).count();
        assert_eq!(kept.len(), trusted.len() - overlap);
        assert!(kept.iter().all(|c| !distrusted.contains(c)));
        for kind in PLATFORMS {
            assert!(roots(kind).len() > 50, "{kind:?}");
        }
    }

    #[test]
    fn the_build_time_anchors_are_the_roots_parsed_at_run_time() {
        for kind in PLATFORMS {
            let mut parsed = rustls::RootCertStore::empty();
            parsed.add_parsable_certificates(roots(kind));
            assert!(!anchors(kind).is_empty(), "{kind:?}");
            assert_eq!(parsed.roots.as_slice(), anchors(kind), "{kind:?}");
        }
    }
}
