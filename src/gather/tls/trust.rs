//! Which certificate authorities a check trusts: Mozilla's, this machine's, and files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

use crate::facts::tls::{StoreKind, StoreVerdict, TrustBase, TrustDescription, VerifyError};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::RootCertStore;

/// A loaded trust store, ready to verify with.
#[derive(Debug, Clone)]
pub struct TrustStore {
    pub description: TrustDescription,
    verifier: Option<Arc<WebPkiServerVerifier>>,
    /// This store's identity in a [`VerificationCache`]: unique per loaded store
    /// in this process (two loads of the same roots are two identities, which
    /// costs a verification, never a wrong answer).
    id: u64,
    /// Verdicts already reached, shared by every store of the run; `None`
    /// verifies every time.
    cache: Option<Arc<VerificationCache>>,
}

/// Hands out [`TrustStore`] identities.
static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// Why a trust store could not be loaded. Each message is a whole sentence on
/// its own (no error source behind it).
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("cannot read the CA file {path}: {detail}")]
    ReadCaFile { path: PathBuf, detail: String },
    #[error("the CA file {path} cannot be used: {detail}")]
    BadCaFile { path: PathBuf, detail: String },
    #[error("this machine's certificate store could not be read: {detail}")]
    System { detail: String },
}

impl TrustStore {
    pub fn load(
        base: TrustBase,
        ca_files: &CaFiles,
        provider: &Arc<CryptoProvider>,
    ) -> Result<TrustStore, TrustError> {
        Self::load_inner(Some(base), ca_files, provider)
    }

    /// Only the CA files, without a base store: "is this a private CA's chain?"
    pub fn load_files_only(
        ca_files: &CaFiles,
        provider: &Arc<CryptoProvider>,
    ) -> Result<TrustStore, TrustError> {
        Self::load_inner(None, ca_files, provider)
    }

    /// A store of exactly these roots (a platform's embedded bundle).
    pub(super) fn from_roots(
        roots: Vec<CertificateDer<'static>>,
        provider: &Arc<CryptoProvider>,
    ) -> Result<TrustStore, String> {
        let mut store = RootCertStore::empty();
        let (added, _unusable) = store.add_parsable_certificates(roots);
        let verifier = match store.is_empty() {
            true => None,
            false => Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                    .build()
                    .map_err(|e| e.to_string())?,
            ),
        };
        Ok(TrustStore {
            description: TrustDescription {
                base: TrustBase::Mozilla,
                ca_files: Vec::new(),
                roots: added,
            },
            verifier,
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            cache: None,
        })
    }

    fn load_inner(
        base: Option<TrustBase>,
        ca_files: &CaFiles,
        provider: &Arc<CryptoProvider>,
    ) -> Result<TrustStore, TrustError> {
        let mut roots = RootCertStore::empty();
        match base {
            None => {}
            Some(TrustBase::Mozilla) => {
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned())
            }
            Some(TrustBase::System) => {
                let found = rustls_native_certs::load_native_certs();
                if found.certs.is_empty() && !found.errors.is_empty() {
                    let detail = found
                        .errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ");
                    return Err(TrustError::System { detail });
                }
                // Individual unparsable entries in a system store are common and harmless.
                roots.add_parsable_certificates(found.certs);
            }
        }
        for (path, certs) in &ca_files.files {
            for (i, cert) in certs.iter().enumerate() {
                roots.add(cert.clone()).map_err(|e| TrustError::BadCaFile {
                    path: path.clone(),
                    detail: format!(
                        "certificate {} in it cannot be used as a root: {}",
                        i + 1,
                        super::words::tls_error(&e)
                    ),
                })?;
            }
        }
        let description = TrustDescription {
            base: base.unwrap_or(TrustBase::Mozilla),
            ca_files: ca_files.paths(),
            roots: roots.len(),
        };
        // An empty store cannot build a verifier; every chain is then untrusted.
        let verifier = if roots.is_empty() {
            None
        } else {
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| TrustError::System {
                        detail: e.to_string(),
                    })?,
            )
        };
        Ok(TrustStore {
            description,
            verifier,
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            cache: None,
        })
    }

    /// The WebPKI verifier of this store's roots, for connections that must
    /// refuse an untrusted server (HTTPS fetches); `None` when the store is empty.
    pub fn server_verifier(&self) -> Option<Arc<WebPkiServerVerifier>> {
        self.verifier.clone()
    }

    /// Remembers this store's verdicts in `cache` (shared with other stores).
    pub fn with_cache(self, cache: Option<Arc<VerificationCache>>) -> TrustStore {
        TrustStore { cache, ..self }
    }

    /// Verifies a chain as sent (leaf first) for `name` at `now`, offline: the
    /// same WebPKI verification as in the handshake, against this store.
    ///
    /// The verification time is `now` to the second
    /// ([`verification_time`]), with or without a cache, so that a verdict
    /// taken from the cache is exactly the one a fresh verification would give.
    pub fn verify(
        &self,
        chain: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), VerifyError> {
        self.verify_in(self.cache.as_deref(), chain, name, now)
    }

    /// [`TrustStore::verify`], remembering verdicts in `cache` instead of this
    /// store's own.
    pub fn verify_in(
        &self,
        cache: Option<&VerificationCache>,
        chain: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), VerifyError> {
        let at = verification_time(now);
        match cache {
            Some(cache) => cache.get_or_verify(self.id, chain, name, at, || {
                self.verify_uncached(chain, name, at)
            }),
            None => self.verify_uncached(chain, name, at),
        }
    }

    fn verify_uncached(
        &self,
        chain: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        at: UnixTime,
    ) -> Result<(), VerifyError> {
        let (Some(verifier), Some((leaf, intermediates))) = (&self.verifier, chain.split_first())
        else {
            return Err(VerifyError::UnknownIssuer);
        };
        verifier
            .verify_server_cert(leaf, intermediates, name, &[], at)
            .map(|_| ())
            .map_err(|e| super::verify_error(e, chain))
    }
}

/// The time chains are verified at: the check's own time, to the second.
///
/// A check's facts carry its start time in whole seconds, so every check of one
/// chain for one name that starts in the same second shares one verification,
/// and the cache cannot change a verdict: the key holds everything the
/// verification depends on (store, chain bytes, name, time). (Rounding to the
/// minute would share more, but judged a certificate issued seconds ago as not
/// yet valid, which a real client would not.)
pub fn verification_time(now: UnixTime) -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.as_secs()))
}

/// What a verification depends on: the store, the chain as sent, the name, the time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    store: u64,
    /// SHA-256 over each certificate's length and DER, in order.
    chain: [u8; 32],
    name: String,
    /// [`verification_time`], in seconds.
    at: u64,
}

/// Chain verdicts already reached in this run, for every store: a batch that
/// meets the same chain for the same name again (the same host on several
/// ports, several names served by one machine, `--all-addresses`, the
/// per-store comparison) verifies it once per store and second.
///
/// Bounded: when full it is cleared and refills (the simplest bound; a batch's
/// working set is its recent chains). One mutex: a lookup holds it for a hash
/// and a map probe, far less than one signature check, never during a
/// verification (two checks of a new chain at once may both verify it; both
/// reach the same verdict).
#[derive(Debug)]
pub struct VerificationCache {
    entries: Mutex<HashMap<CacheKey, Result<(), VerifyError>>>,
    capacity: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl VerificationCache {
    /// The default bound on entries.
    pub const CAPACITY: usize = 4096;

    pub fn new(capacity: usize) -> VerificationCache {
        VerificationCache {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The verdict of store `store` on `chain` for `name` at `at`: from the
    /// cache, or from `verify`, which is then remembered.
    pub fn get_or_verify(
        &self,
        store: u64,
        chain: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        at: UnixTime,
        verify: impl FnOnce() -> Result<(), VerifyError>,
    ) -> Result<(), VerifyError> {
        let key = CacheKey {
            store,
            chain: chain_fingerprint(chain),
            name: super::server_name_text(name),
            at: at.as_secs(),
        };
        if let Some(found) = self.lock().get(&key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return found.clone();
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let outcome = verify();
        let mut entries = self.lock();
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(key, outcome.clone());
        outcome
    }

    /// (hits, misses) so far.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Result<(), VerifyError>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// SHA-256 over the chain: each certificate's length (8 bytes, big-endian),
/// then its DER, so that no two different chains hash the same input.
fn chain_fingerprint(chain: &[CertificateDer<'_>]) -> [u8; 32] {
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for cert in chain {
        context.update(&(cert.len() as u64).to_be_bytes());
        context.update(cert.as_ref());
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(context.finish().as_ref());
    out
}

/// The stores every chain is also judged by, side by side: Mozilla's, this
/// machine's, and the `--ca-file` certificates alone. Loaded once per run.
#[derive(Debug, Clone)]
pub struct TrustComparison {
    stores: Vec<(StoreKind, Arc<LoadingStore>)>,
    cache: Option<Arc<VerificationCache>>,
}

/// A store that may still be loading on another thread. Reading this machine's
/// store (`/etc/ssl/certs`) takes 1–2 ms; loading it in the background hides that
/// behind the first check's connection and handshake.
#[derive(Debug)]
pub(super) struct LoadingStore {
    ready: OnceLock<Result<TrustStore, String>>,
    loading: Mutex<Option<JoinHandle<Result<TrustStore, String>>>>,
}

impl LoadingStore {
    pub(super) fn ready(result: Result<TrustStore, String>) -> Arc<LoadingStore> {
        Arc::new(LoadingStore {
            ready: OnceLock::from(result),
            loading: Mutex::new(None),
        })
    }

    pub(super) fn in_background(
        load: impl FnOnce() -> Result<TrustStore, String> + Send + 'static,
    ) -> Arc<LoadingStore> {
        let (ready, handle) = match std::thread::Builder::new()
            .name("mailtls-trust-store".to_owned())
            .spawn(load)
        {
            Ok(handle) => (OnceLock::new(), Some(handle)),
            Err(e) => (
                OnceLock::from(Err(format!("could not start loading it: {e}"))),
                None,
            ),
        };
        Arc::new(LoadingStore {
            ready,
            loading: Mutex::new(handle),
        })
    }

    /// The store, waiting for the loader if it has not finished yet.
    pub(super) fn get(&self) -> &Result<TrustStore, String> {
        if let Some(store) = self.ready.get() {
            return store;
        }
        // Whoever takes the handle sets `ready` before releasing the lock, so a
        // second caller that finds no handle finds the store.
        let mut loading = self.loading.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(handle) = loading.take() {
            let result = handle
                .join()
                .unwrap_or_else(|_| Err("loading it failed".to_owned()));
            let _ = self.ready.set(result);
        }
        drop(loading);
        self.ready
            .get_or_init(|| Err("loading it failed".to_owned()))
    }
}

impl TrustComparison {
    pub fn load(ca_files: &CaFiles, provider: &Arc<CryptoProvider>) -> TrustComparison {
        let system_provider = provider.clone();
        let mut stores = vec![
            (
                StoreKind::Mozilla,
                LoadingStore::ready(
                    TrustStore::load(TrustBase::Mozilla, &CaFiles::default(), provider)
                        .map_err(|e| e.to_string()),
                ),
            ),
            (
                StoreKind::System,
                LoadingStore::in_background(move || {
                    TrustStore::load(TrustBase::System, &CaFiles::default(), &system_provider)
                        .map_err(|e| e.to_string())
                }),
            ),
        ];
        if !ca_files.is_empty() {
            stores.push((
                StoreKind::CaFiles,
                LoadingStore::ready(
                    TrustStore::load_files_only(ca_files, provider).map_err(|e| e.to_string()),
                ),
            ));
        }
        TrustComparison {
            stores,
            cache: None,
        }
    }

    /// No comparison (for callers that only want the handshake's own verdict).
    pub fn none() -> TrustComparison {
        TrustComparison {
            stores: Vec::new(),
            cache: None,
        }
    }

    /// Remembers every store's verdicts in `cache` (shared with the handshake's store).
    pub fn with_cache(self, cache: Option<Arc<VerificationCache>>) -> TrustComparison {
        TrustComparison { cache, ..self }
    }

    /// Judges the chain with every store. `primary` is the handshake's own
    /// verdict, by `base` plus the CA files: when it trusted the chain and `base`
    /// alone does not, every valid path ends at a CA-file root, so the CA files
    /// alone trust it too, and that verification (two signature checks per
    /// chain, a seventh of a batch's CPU) is skipped.
    pub fn judge(
        &self,
        chain: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        now: UnixTime,
        primary: Option<(TrustBase, bool)>,
    ) -> Vec<StoreVerdict> {
        let mut verdicts: Vec<StoreVerdict> = Vec::with_capacity(self.stores.len());
        for (kind, store) in &self.stores {
            let base_refuses = |base: TrustBase| {
                let kind = match base {
                    TrustBase::Mozilla => StoreKind::Mozilla,
                    TrustBase::System => StoreKind::System,
                };
                verdicts
                    .iter()
                    .any(|v| v.store == kind && v.trusted == Some(false))
            };
            let implied = *kind == StoreKind::CaFiles
                && matches!(primary, Some((base, true)) if base_refuses(base));
            let verdict = match store.get() {
                Ok(_) if implied => StoreVerdict::judged(*kind, Ok(())),
                Ok(store) => StoreVerdict::judged(
                    *kind,
                    store.verify_in(self.cache.as_deref(), chain, name, now),
                ),
                Err(why) => StoreVerdict::unavailable(*kind, why),
            };
            verdicts.push(verdict);
        }
        verdicts
    }
}

/// The `--ca-file` certificates, read and parsed once for every store that uses them.
#[derive(Debug, Clone, Default)]
pub struct CaFiles {
    files: Vec<(PathBuf, Vec<CertificateDer<'static>>)>,
}

impl CaFiles {
    pub fn read(paths: &[PathBuf]) -> Result<CaFiles, TrustError> {
        let files = paths
            .iter()
            .map(|path| Ok((path.clone(), read_pem_certificates(path)?)))
            .collect::<Result<_, TrustError>>()?;
        Ok(CaFiles { files })
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    fn paths(&self) -> Vec<PathBuf> {
        self.files.iter().map(|(path, _)| path.clone()).collect()
    }
}

/// The certificates of a PEM file, for a root store given by file.
pub fn read_roots(path: &Path) -> Result<Vec<CertificateDer<'static>>, TrustError> {
    read_pem_certificates(path)
}

fn read_pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TrustError> {
    let bytes = std::fs::read(path).map_err(|e| TrustError::ReadCaFile {
        path: path.to_owned(),
        detail: e.to_string(),
    })?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TrustError::BadCaFile {
            path: path.to_owned(),
            detail: super::words::pem_error(&e, "certificate"),
        })?;
    if certs.is_empty() {
        return Err(TrustError::BadCaFile {
            path: path.to_owned(),
            detail: "it holds no certificate (a -----BEGIN CERTIFICATE----- block)".to_owned(),
        });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailtls_testkit::{CertCase, TestPki};

    /// The test PKI's root as the only trusted root.
    fn store(pki: &TestPki) -> (tempfile::TempDir, TrustStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = pki.write_root_pem(dir.path());
        let provider = crate::gather::tls::TlsClient::default_provider();
        let files = CaFiles::read(&[root]).expect("the root reads");
        let store = TrustStore::load_files_only(&files, &provider).expect("a store");
        (dir, store)
    }

    #[test]
    fn a_date_before_1970_is_not_bad_der() {
        let pki = TestPki::new();
        let (_dir, store) = store(&pki);
        let name = ServerName::try_from("mail.test").expect("name");
        let verify = |case: CertCase| {
            let chain = pki.server_cert(case, "mail.test").chain;
            store.verify(&chain, &name, UnixTime::now())
        };
        assert_eq!(verify(CertCase::Good), Ok(()));
        assert_eq!(
            verify(CertCase::Since1960),
            Err(VerifyError::UnsupportedTime)
        );
        // A leaf that is really broken stays "bad encoding".
        let mut chain = pki.server_cert(CertCase::Good, "mail.test").chain;
        let mut der = chain[0].to_vec();
        der.truncate(der.len() - 10);
        chain[0] = CertificateDer::from(der);
        assert_eq!(
            store.verify(&chain, &name, UnixTime::now()),
            Err(VerifyError::BadEncoding)
        );
    }

    fn chain(bytes: &[&[u8]]) -> Vec<CertificateDer<'static>> {
        bytes
            .iter()
            .map(|b| CertificateDer::from(b.to_vec()))
            .collect()
    }

    #[test]
    fn the_cache_verifies_each_key_once_and_stays_bounded() {
        let cache = VerificationCache::new(2);
        let name = ServerName::try_from("mail.example.org").unwrap();
        let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(600));
        let a = chain(&[b"leaf", b"ca"]);
        let mut calls = 0;
        for _ in 0..3 {
            let outcome = cache.get_or_verify(1, &a, &name, at, || {
                calls += 1;
                Err(VerifyError::UnknownIssuer)
            });
            assert_eq!(outcome, Err(VerifyError::UnknownIssuer));
        }
        assert_eq!(calls, 1);
        assert_eq!(cache.stats(), (2, 1));
        // Another store, another name, another second, or another split of the
        // same bytes into certificates: each a key of its own.
        let other = ServerName::try_from("imap.example.org").unwrap();
        let later = UnixTime::since_unix_epoch(std::time::Duration::from_secs(601));
        let split = chain(&[b"lea", b"fca"]);
        let mut fresh = 0;
        for (store, chain, name, at) in [
            (2, &a, &name, at),
            (1, &a, &other, at),
            (1, &a, &name, later),
            (1, &split, &name, at),
        ] {
            let _ = cache.get_or_verify(store, chain, name, at, || {
                fresh += 1;
                Ok(())
            });
            assert!(cache.len() <= 2);
        }
        assert_eq!(fresh, 4);
    }

    #[test]
    fn verification_time_is_the_checks_second() {
        let t = |s| UnixTime::since_unix_epoch(std::time::Duration::from_secs(s));
        let fraction = UnixTime::since_unix_epoch(std::time::Duration::from_millis(119_750));
        assert_eq!(verification_time(fraction), t(119));
        assert_eq!(verification_time(t(120)), t(120));
    }
}
