//! The errors of the libraries underneath (rustls, WebPKI, the PEM reader) in
//! plain words: one function per error family, each a sentence fragment a
//! helpdesk can act on ("the server speaks only TLS 1.0 or 1.1 …"), never a
//! Rust identifier. The common variants are named one by one; every family
//! ends with a generic sentence for the rest, which names no Rust type either.
//!
//! The fragments start in lower case and end without a full stop, so callers
//! put them after a colon ("TLS handshake failed: …").

use rustls::pki_types::pem;
use rustls::{
    CertificateError, InconsistentKeys, InvalidMessage, PeerIncompatible, PeerMisbehaved,
};

/// Any rustls error, as seen in a handshake or when loading a key.
pub(crate) fn tls_error(error: &rustls::Error) -> String {
    use rustls::Error::*;
    match error {
        InappropriateMessage { .. } | InappropriateHandshakeMessage { .. } => {
            "the server sent a TLS message that does not belong at this point of the handshake"
                .to_owned()
        }
        InvalidEncryptedClientHello(_) => {
            "the server could not handle the encrypted ClientHello".to_owned()
        }
        InvalidMessage(message) => invalid_message(message),
        NoCertificatesPresented => "the server sent no certificate".to_owned(),
        UnsupportedNameType => "the server name is of a kind that cannot be checked".to_owned(),
        DecryptError => "a TLS record from the server could not be decrypted (the connection was damaged on the way, or the server's TLS library is broken)".to_owned(),
        EncryptError => "a TLS record could not be encrypted".to_owned(),
        PeerIncompatible(why) => peer_incompatible(why),
        PeerMisbehaved(why) => peer_misbehaved(why),
        AlertReceived(alert) => format!("the server sent the TLS alert {}", alert_name(*alert)),
        InvalidCertificate(why) => certificate_error(why),
        InvalidCertRevocationList(_) => "a certificate revocation list is not valid".to_owned(),
        General(text) => format!("the TLS library reported an error ({text})"),
        FailedToGetCurrentTime => "this machine's clock could not be read".to_owned(),
        FailedToGetRandomBytes => "this machine gave no random numbers".to_owned(),
        HandshakeNotComplete => "the TLS handshake did not complete".to_owned(),
        PeerSentOversizedRecord => "the server sent a TLS record larger than TLS allows".to_owned(),
        NoApplicationProtocol => {
            "the server and mailtls share no application protocol (ALPN)".to_owned()
        }
        BadMaxFragmentSize => "the TLS record size mailtls asked for is not valid".to_owned(),
        InconsistentKeys(why) => inconsistent_keys(*why).to_owned(),
        _ => "the TLS connection failed for a reason the TLS library does not name".to_owned(),
    }
}

/// A TLS message that could not be decoded.
pub(crate) fn invalid_message(message: &InvalidMessage) -> String {
    use InvalidMessage::*;
    let text = match message {
        HandshakePayloadTooLarge => {
            "the server announced a handshake message larger than TLS allows"
        }
        CertificatePayloadTooLarge => "the server's certificates are larger than 64 KiB together",
        MessageTooLarge => "the server sent a TLS message larger than TLS allows",
        MessageTooShort | MissingData(_) => "the server sent a TLS message that is cut short",
        TrailingData(_) => "the server sent a TLS message with extra bytes at its end",
        InvalidContentType => "the server sent a TLS record of an unknown type",
        UnknownProtocolVersion => "the server sent a TLS record with an unknown version number",
        UnsupportedCompression => {
            "the server chose TLS compression, which is insecure and which mailtls did not offer"
        }
        UnsupportedCurveType | UnsupportedKeyExchangeAlgorithm(_) | MissingKeyExchange => {
            "the server chose a key exchange that mailtls did not offer"
        }
        InvalidDhParams => "the server sent key exchange parameters that cannot be read",
        NoSignatureSchemes => "the server listed no signature algorithms",
        InvalidCertRequest => "the server's request for a client certificate is malformed",
        InvalidCertificateStatusType => "the server's stapled OCSP response is malformed",
        DuplicateExtension(_) => "the server sent the same TLS extension twice",
        EmptyTicketValue => "the server sent an empty session ticket",
        UnexpectedMessage(_) => "the server sent a TLS message that was not expected",
        _ => "the server sent a malformed TLS message",
    };
    text.to_owned()
}

/// The server lacks something a modern client requires.
pub(crate) fn peer_incompatible(why: &PeerIncompatible) -> String {
    use PeerIncompatible::*;
    let text = match why {
        ServerDoesNotSupportTls12Or13 => {
            "the server speaks only TLS versions older than 1.2 (TLS 1.0 or 1.1, or SSL), which current mail clients refuse"
        }
        ServerTlsVersionIsDisabledByOurConfig | Tls12NotOffered | Tls12NotOfferedOrEnabled => {
            "the server chose a TLS version that mailtls did not offer"
        }
        NoCipherSuitesInCommon => "the server shares no cipher suite with a modern client",
        NoKxGroupsInCommon => "the server shares no key exchange group with a modern client",
        NoSignatureSchemesInCommon | NoCertificateRequestSignatureSchemesInCommon => {
            "the server shares no signature algorithm with a modern client"
        }
        ExtendedMasterSecretExtensionRequired => {
            "the server does not support the extended master secret (RFC 7627), which TLS 1.2 connections need"
        }
        NullCompressionRequired => "the server insists on TLS compression, which is insecure",
        EcPointsExtensionRequired | NoEcPointFormatsInCommon | UncompressedEcPointsRequired => {
            "the server does not accept the elliptic-curve point format every client uses"
        }
        ServerRejectedEncryptedClientHello(_) => {
            "the server refused the encrypted ClientHello"
        }
        _ => "the server lacks a TLS feature that modern clients require",
    };
    text.to_owned()
}

/// The server broke the rules of TLS.
pub(crate) fn peer_misbehaved(why: &PeerMisbehaved) -> String {
    use PeerMisbehaved::*;
    let text = match why {
        AttemptedDowngradeToTls12WhenTls13IsSupported => {
            "the server signalled a downgrade from TLS 1.3 to TLS 1.2 (a broken middlebox, or an attacker in the path)"
        }
        SelectedUnofferedCipherSuite
        | SelectedUnusableCipherSuiteForVersion
        | SelectedDifferentCipherSuiteAfterRetry
        | CipherSuiteDifferedOnRetry => "the server chose a cipher suite that mailtls did not offer",
        SelectedUnofferedKxGroup | WrongGroupForKeyShare => {
            "the server chose a key exchange group that mailtls did not offer"
        }
        InvalidKeyShare | MissingKeyShare => "the server sent an invalid key share",
        SignedHandshakeWithUnadvertisedSigScheme | SignedKxWithWrongAlgorithm => {
            "the server signed the handshake with an algorithm that mailtls did not offer"
        }
        SelectedTls12UsingTls13VersionExtension => {
            "the server chose TLS 1.2 in a way only TLS 1.3 allows"
        }
        SelectedUnofferedCompression => "the server chose TLS compression, which mailtls did not offer",
        SelectedUnofferedApplicationProtocol => {
            "the server chose an application protocol (ALPN) that mailtls did not offer"
        }
        SelectedUnofferedPsk | SelectedInvalidPsk => {
            "the server tried to resume a session that mailtls did not offer"
        }
        IllegalHelloRetryRequestWithEmptyCookie
        | IllegalHelloRetryRequestWithNoChanges
        | IllegalHelloRetryRequestWithOfferedGroup
        | IllegalHelloRetryRequestWithUnofferedCipherSuite
        | IllegalHelloRetryRequestWithUnofferedNamedGroup
        | IllegalHelloRetryRequestWithUnsupportedVersion
        | IllegalHelloRetryRequestWithWrongSessionId
        | IllegalHelloRetryRequestWithInvalidEch
        | RefusedToFollowHelloRetryRequest => {
            "the server asked to restart the handshake (HelloRetryRequest) in a way TLS does not allow"
        }
        DuplicateServerHelloExtensions
        | DuplicateEncryptedExtensions
        | DuplicateHelloRetryRequestExtensions
        | DuplicateNewSessionTicketExtensions => "the server sent the same TLS extension twice",
        UnsolicitedServerHelloExtension
        | UnsolicitedEncryptedExtension
        | UnsolicitedCertExtension
        | UnsolicitedSctList
        | UnsolicitedEchExtension
        | UnexpectedCleartextExtension
        | DisallowedEncryptedExtension => "the server sent a TLS extension that mailtls did not ask for",
        ServerEchoedCompatibilitySessionId => {
            "the server echoed a session id in a way TLS 1.3 does not allow"
        }
        ServerHelloMustOfferUncompressedEcPoints => {
            "the server does not offer the elliptic-curve point format every client uses"
        }
        BadCertChainExtensions => "the server's certificate message has invalid extensions",
        InvalidCertCompression | SelectedUnofferedCertCompression => {
            "the server compressed its certificates in a way mailtls did not offer"
        }
        IllegalTlsInnerPlaintext => "the server sent an encrypted TLS record without content",
        MessageInterleavedWithHandshakeMessage | KeyEpochWithPendingFragment => {
            "the server mixed other messages into a handshake message"
        }
        TooManyEmptyFragments => "the server sent too many empty TLS records",
        TooManyWarningAlertsReceived => "the server sent too many TLS warning alerts",
        TooManyKeyUpdateRequests => "the server asked for new keys too often",
        TooManyRenegotiationRequests => "the server asked to renegotiate too often",
        IllegalMiddleboxChangeCipherSpec => {
            "the server sent a ChangeCipherSpec message where TLS 1.3 does not allow one"
        }
        _ => "the server broke the rules of the TLS protocol",
    };
    text.to_owned()
}

/// Why a certificate was refused.
pub(crate) fn certificate_error(error: &CertificateError) -> String {
    use CertificateError::*;
    let text = match error {
        BadEncoding => "a certificate in the chain is not valid DER",
        Expired | ExpiredContext { .. } => "a certificate in the chain has expired",
        NotValidYet | NotValidYetContext { .. } => "a certificate in the chain is not yet valid",
        Revoked => "a certificate in the chain has been revoked",
        UnhandledCriticalExtension => {
            "a certificate in the chain has a critical extension that the verifier does not know"
        }
        UnknownIssuer => "the chain does not lead to a trusted root",
        UnknownRevocationStatus => "whether a certificate has been revoked could not be found out",
        ExpiredRevocationList | ExpiredRevocationListContext { .. } => {
            "the certificate revocation list has expired"
        }
        BadSignature => "a signature in the chain is invalid",
        UnsupportedSignatureAlgorithmContext { .. }
        | UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "a certificate in the chain is signed with an algorithm that is no longer accepted"
        }
        NotValidForName | NotValidForNameContext { .. } => {
            "the certificate is not valid for the server's name"
        }
        InvalidPurpose | InvalidPurposeContext { .. } => {
            "the certificate is not issued for TLS servers (extended key usage)"
        }
        InvalidOcspResponse => "the server's stapled OCSP response is not valid",
        ApplicationVerificationFailure => "the certificate was refused",
        Other(other) => {
            return match other.0.downcast_ref::<webpki::Error>() {
                Some(e) => webpki_error(e),
                None => "the verifier refused the chain without naming a reason".to_owned(),
            };
        }
        _ => "the verifier refused the chain for a reason it does not name",
    };
    text.to_owned()
}

/// WebPKI's reasons that rustls passes on as they are.
pub(crate) fn webpki_error(error: &webpki::Error) -> String {
    use webpki::Error::*;
    let text = match error {
        PathLenConstraintViolated => {
            "an intermediate certificate is further from the root than its issuer allows (pathLenConstraint in basicConstraints)"
        }
        NameConstraintViolation => {
            "the certificate names a host that its certificate authority may not certify (name constraints)"
        }
        MalformedNameConstraint | InvalidNetworkMaskConstraint => {
            "a certificate authority in the chain has malformed name constraints"
        }
        MaximumNameConstraintComparisonsExceeded => {
            "checking the chain's name constraints takes more work than verifiers allow"
        }
        MaximumPathDepthExceeded | MaximumPathBuildCallsExceeded | MaximumSignatureChecksExceeded => {
            "the path to a root is longer, or takes more work, than verifiers allow"
        }
        CaUsedAsEndEntity => {
            "the server's certificate is a CA certificate, not a server certificate"
        }
        EndEntityUsedAsCa => {
            "a certificate that is not a CA certificate (basicConstraints) issued another one"
        }
        CertDistrusted => "a certificate in the chain has a key that is explicitly distrusted",
        UnsupportedCertVersion => "a certificate in the chain is not an X.509 version 3 certificate",
        UnsupportedCriticalExtension => {
            "a certificate in the chain has a critical extension that the verifier does not know"
        }
        MalformedExtensions | ExtensionValueInvalid => {
            "a certificate in the chain has a malformed extension"
        }
        EmptyEkuExtension => "a certificate in the chain has an empty extended key usage",
        InvalidSerialNumber => "a certificate in the chain has an invalid serial number",
        MalformedDnsIdentifier => "a certificate in the chain has a malformed host name",
        SignatureAlgorithmMismatch => {
            "a certificate in the chain names two different signature algorithms"
        }
        InvalidCertValidity => "a certificate in the chain ends before it begins",
        BadDer | TrailingData(_) => "a certificate in the chain is not valid DER",
        BadDerTime => "a date in a certificate of the chain cannot be read by the verifier",
        UnknownIssuer => "the chain does not lead to a trusted root",
        CertRevoked => "a certificate in the chain has been revoked",
        InvalidSignatureForPublicKey => "a signature in the chain is invalid",
        UnsupportedNameType => "the server name is of a kind that cannot be checked",
        _ => "the verifier refused the chain for a reason it does not name",
    };
    text.to_owned()
}

/// Why a client certificate and key do not go together.
pub(crate) fn inconsistent_keys(why: InconsistentKeys) -> &'static str {
    match why {
        InconsistentKeys::KeyMismatch => "the key does not belong to the certificate",
        _ => "whether the key belongs to the certificate could not be checked",
    }
}

/// Why a PEM file could not be read. `wanted` names what the file should
/// hold ("certificate", "private key"), for the file that holds none.
pub(crate) fn pem_error(error: &pem::Error, wanted: &str) -> String {
    match error {
        pem::Error::MissingSectionEnd { .. } => {
            "a PEM block in it has no -----END line (the file is cut short)".to_owned()
        }
        pem::Error::IllegalSectionStart { .. } => "a -----BEGIN line in it is malformed".to_owned(),
        pem::Error::Base64Decode(_) => {
            "the text between a -----BEGIN and an -----END line is damaged (it is not valid base64)"
                .to_owned()
        }
        pem::Error::Io(e) => format!("it could not be read ({e})"),
        pem::Error::NoItemsFound => format!("it holds no {wanted} in PEM form"),
        pem::Error::SectionTooLarge => "a PEM block in it is larger than 256 MB".to_owned(),
        _ => "it is not a valid PEM file".to_owned(),
    }
}

/// The RFC 8446 spelling: `HandshakeFailure` → `handshake_failure`.
pub(crate) fn alert_name(alert: rustls::AlertDescription) -> String {
    let Some(camel) = alert.as_str() else {
        return format!("alert_{}", u8::from(alert));
    };
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::pem::PemObject;

    /// A CamelCase word: the mark of a Rust identifier in a sentence.
    fn has_identifier(text: &str) -> bool {
        text.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| {
                let known = [
                    "ClientHello",
                    "HelloRetryRequest",
                    "ChangeCipherSpec",
                    "pathLenConstraint",
                    "basicConstraints",
                ];
                word.as_bytes()
                    .windows(2)
                    .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
                    && !known.contains(&word)
            })
    }

    #[test]
    fn errors_read_as_words() {
        let errors = [
            rustls::Error::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13),
            rustls::Error::InvalidMessage(InvalidMessage::HandshakePayloadTooLarge),
            rustls::Error::PeerMisbehaved(PeerMisbehaved::SelectedUnofferedCipherSuite),
            rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch),
            rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
                std::sync::Arc::new(webpki::Error::PathLenConstraintViolated),
            ))),
            rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired),
            rustls::Error::DecryptError,
        ];
        for error in errors {
            let text = tls_error(&error);
            assert!(!has_identifier(&text), "{error:?}: {text}");
            let debug_call = text
                .split(' ')
                .any(|w| w.starts_with(|c: char| c.is_ascii_uppercase()) && w.contains('('));
            assert!(!debug_call, "{error:?}: {text}");
        }
        assert_eq!(
            tls_error(&rustls::Error::AlertReceived(
                rustls::AlertDescription::CertificateRequired
            )),
            "the server sent the TLS alert certificate_required"
        );
    }

    #[test]
    fn pem_errors_read_as_words() {
        let damaged = b"-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n";
        let error = rustls::pki_types::CertificateDer::pem_slice_iter(damaged)
            .next()
            .and_then(Result::err);
        let text = pem_error(&error.expect("a base64 error"), "certificate");
        assert!(text.contains("damaged"), "{text}");
        assert_eq!(
            pem_error(&pem::Error::NoItemsFound, "private key"),
            "it holds no private key in PEM form"
        );
        let open = b"-----BEGIN CERTIFICATE-----\nMIIB\n";
        let error = rustls::pki_types::CertificateDer::pem_slice_iter(open)
            .next()
            .and_then(Result::err);
        let text = pem_error(&error.expect("an unclosed block"), "certificate");
        assert!(text.contains("no -----END line"), "{text}");
    }
}
