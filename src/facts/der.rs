//! Binary values in JSON: DER as standard base64, so facts read back byte for byte.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

fn decode<E: serde::de::Error>(text: &str) -> Result<Vec<u8>, E> {
    STANDARD
        .decode(text)
        .map_err(|e| E::custom(format!("not base64: {e}")))
}

/// `Vec<CertificateDer>` as a list of base64 strings.
pub mod certificates {
    use rustls_pki_types::CertificateDer;

    use super::*;

    pub fn serialize<S: Serializer>(
        chain: &[CertificateDer<'static>],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let texts: Vec<String> = chain.iter().map(|c| STANDARD.encode(c.as_ref())).collect();
        texts.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<CertificateDer<'static>>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|t| decode(t).map(CertificateDer::from))
            .collect()
    }
}

/// `Option<Vec<Vec<u8>>>` as null or a list of base64 strings.
pub mod optional_list {
    use super::*;

    pub fn serialize<S: Serializer>(list: &Option<Vec<Vec<u8>>>, s: S) -> Result<S::Ok, S::Error> {
        list.as_ref()
            .map(|items| {
                items
                    .iter()
                    .map(|b| STANDARD.encode(b))
                    .collect::<Vec<String>>()
            })
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Vec<u8>>>, D::Error> {
        Option::<Vec<String>>::deserialize(d)?
            .map(|texts| texts.iter().map(|t| decode(t)).collect())
            .transpose()
    }
}

/// `Option<Vec<u8>>` as null or one base64 string (a fetched document).
pub mod bytes_opt {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        bytes.as_ref().map(|b| STANDARD.encode(b)).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| decode(&t))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use rustls_pki_types::CertificateDer;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Both {
        #[serde(with = "super::certificates")]
        chain: Vec<CertificateDer<'static>>,
        #[serde(with = "super::optional_list")]
        names: Option<Vec<Vec<u8>>>,
    }

    #[test]
    fn bytes_round_trip() {
        let both = Both {
            chain: vec![CertificateDer::from(vec![0x30, 0x03, 0xff, 0x00, 0x7f])],
            names: Some(vec![vec![], vec![1, 2, 3]]),
        };
        let text = serde_json::to_string(&both).expect("serialize");
        assert_eq!(text, r#"{"chain":["MAP/AH8="],"names":["","AQID"]}"#);
        assert_eq!(serde_json::from_str::<Both>(&text).expect("read"), both);
    }
}
