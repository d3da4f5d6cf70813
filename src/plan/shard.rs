//! `--shard K/N`: which jobs one of N runs checks.
//!
//! A job belongs to shard `fnv1a64(key) % N` (0-based; `--shard K/N` keeps
//! shard K-1), where the key is the host name (or address) in lower case, so
//! every target of one host lands in the same shard and the per-host
//! connection budget holds across shards; a line that is not a target is
//! keyed by its text. The hash is FNV-1a, 64 bits, with its published offset
//! basis and prime: the same split on every machine, build and run, unlike
//! std's randomly keyed hasher.

use super::Job;

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET_BASIS, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    })
}

/// What decides a job's shard: its host in lower case, or an invalid line's text.
pub fn key(job: &Job) -> String {
    match job {
        Job::Check(target) => target.host.to_string().to_ascii_lowercase(),
        Job::Invalid { input, .. } => input.clone(),
    }
}

/// The 0-based shard of `job` among `count` (`count` ≥ 1).
pub fn of(job: &Job, count: u32) -> u32 {
    (fnv1a64(key(job).as_bytes()) % u64::from(count.max(1))) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::target::TargetSpec;

    fn job(text: &str) -> Job {
        Job::Check(
            TargetSpec::parse(text)
                .unwrap()
                .resolve(None, None)
                .unwrap(),
        )
    }

    #[test]
    fn fnv1a_matches_the_published_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn one_host_is_one_shard_whatever_the_port_or_case() {
        for n in 1..20 {
            let shard = of(&job("imap.example.org:993"), n);
            assert!(shard < n);
            for other in [
                "IMAP.example.org:143",
                "smtps://imap.example.org",
                "imap.example.org:587",
            ] {
                assert_eq!(of(&job(other), n), shard, "{other} with N = {n}");
            }
        }
    }

    #[test]
    fn every_job_is_in_exactly_one_shard() {
        let jobs: Vec<Job> = (0..200)
            .map(|i| job(&format!("mail{i}.example.org:993")))
            .collect();
        let n = 7;
        let mut sizes = vec![0; n as usize];
        for j in &jobs {
            sizes[of(j, n) as usize] += 1;
        }
        assert_eq!(sizes.iter().sum::<usize>(), jobs.len());
        // FNV spreads 200 names over 7 shards without leaving one empty.
        assert!(sizes.iter().all(|&s| s > 10), "{sizes:?}");
    }
}
