//! The exit-code policy, in one place: what a run's verdicts mean to a shell or
//! a monitoring system (the monitoring-plugin convention).

use crate::diagnose::Severity;

/// Exit code for "could not check": bad arguments, nothing reachable (UNKNOWN).
pub const UNKNOWN: u8 = 3;

/// The exit code of a verdict: 0 ok, 1 warning, 2 critical, 3 unknown.
pub fn of_verdict(verdict: Severity) -> u8 {
    match verdict {
        Severity::Ok | Severity::Info => 0,
        Severity::Warning => 1,
        Severity::Critical => 2,
        Severity::Unknown => UNKNOWN,
    }
}

/// The verdict an exit code stands for (the inverse of [`of_verdict`]).
pub fn verdict_of(code: u8) -> Severity {
    match code {
        0 => Severity::Ok,
        1 => Severity::Warning,
        2 => Severity::Critical,
        _ => Severity::Unknown,
    }
}

/// The exit code of a batch from its counts: 2 if any critical, else 3 if any
/// unknown, else 1 if any warning, else 0; with `fail_on` critical, warnings give 0.
pub fn of_counts(critical: usize, unknown: usize, warning: usize, fail_on: Severity) -> u8 {
    let worst = [
        (critical, Severity::Critical),
        (unknown, Severity::Unknown),
        (warning, Severity::Warning),
    ]
    .into_iter()
    .find(|(n, _)| *n > 0)
    .map_or(Severity::Ok, |(_, s)| s);
    match worst {
        Severity::Warning if fail_on > Severity::Warning => 0,
        worst => of_verdict(worst),
    }
}

/// `mailtls certs`: 0 when every server's chain was obtained, 3 otherwise.
pub fn of_chains(all_obtained: bool) -> u8 {
    if all_obtained {
        0
    } else {
        UNKNOWN
    }
}

/// `mailtls account` with several addresses: each address's exit code
/// counted as `check` counts its targets' verdicts.
pub fn of_accounts(codes: &[u8]) -> u8 {
    let count = |verdict: Severity| codes.iter().filter(|c| verdict_of(**c) == verdict).count();
    of_counts(
        count(Severity::Critical),
        count(Severity::Unknown),
        count(Severity::Warning),
        Severity::Warning,
    )
}

/// `mailtls scan`: the worst verdict among the ports that answer (critical
/// above unknown); 3 when none answers.
pub fn of_answering_ports(verdicts: &[Severity]) -> u8 {
    if verdicts.is_empty() {
        return UNKNOWN;
    }
    of_verdict(crate::diagnose::worst(verdicts.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_outranks_unknown_and_fail_on_critical_forgives_warnings() {
        assert_eq!(of_counts(1, 1, 1, Severity::Warning), 2);
        assert_eq!(of_counts(0, 1, 1, Severity::Warning), 3);
        assert_eq!(of_counts(0, 0, 1, Severity::Warning), 1);
        assert_eq!(of_counts(0, 0, 1, Severity::Critical), 0);
        assert_eq!(of_counts(0, 0, 0, Severity::Warning), 0);
        assert_eq!(of_answering_ports(&[]), 3);
        assert_eq!(
            of_answering_ports(&[Severity::Unknown, Severity::Critical]),
            2
        );
        for code in 0..=3 {
            assert_eq!(of_verdict(verdict_of(code)), code);
        }
    }
}
