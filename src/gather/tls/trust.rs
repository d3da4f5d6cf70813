//! Which certificate authorities a check trusts: Mozilla's, this machine's, and files.

use std::path::{Path, PathBuf};
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
}

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
        })
    }

    pub fn verifier(&self) -> Option<Arc<WebPkiServerVerifier>> {
        self.verifier.clone()
    }

    /// Verifies a chain as sent (leaf first) for `name` at `now`, offline: the
    /// same WebPKI verification as in the handshake, against this store.
    pub fn verify(
        &self,
        chain: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), VerifyError> {
        let (Some(verifier), Some((leaf, intermediates))) = (&self.verifier, chain.split_first())
        else {
            return Err(VerifyError::UnknownIssuer);
        };
        verifier
            .verify_server_cert(leaf, intermediates, name, &[], now)
            .map(|_| ())
            .map_err(|e| super::verify_error(e, chain))
    }
}

/// The stores every chain is also judged by, side by side: Mozilla's, this
/// machine's, and the `--ca-file` certificates alone. Loaded once per run.
#[derive(Debug, Clone)]
pub struct TrustComparison {
    stores: Vec<(StoreKind, Arc<LoadingStore>)>,
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
        TrustComparison { stores }
    }

    /// No comparison (for callers that only want the handshake's own verdict).
    pub fn none() -> TrustComparison {
        TrustComparison { stores: Vec::new() }
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
                Ok(_) if implied => StoreVerdict {
                    store: *kind,
                    trusted: Some(true),
                    error: None,
                    unavailable: None,
                },
                Ok(store) => {
                    let outcome = store.verify(chain, name, now);
                    StoreVerdict {
                        store: *kind,
                        trusted: Some(outcome.is_ok()),
                        error: outcome.err(),
                        unavailable: None,
                    }
                }
                Err(why) => StoreVerdict {
                    store: *kind,
                    trusted: None,
                    error: None,
                    unavailable: Some(why.clone()),
                },
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
}
