//! Hostile-input tests for every dialogue: deterministic pseudo-random server
//! lines, built from real protocol fragments and junk, must never panic and never
//! make a dialogue loop without asking for input. (The cargo-fuzz targets in
//! `fuzz/` explore the same property without a bound.)

use super::{dialogue_for, Action, Protocol, TlsMode};

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const FRAGMENTS: &[&str] = &[
    "* OK",
    "* BYE",
    "* CAPABILITY",
    "a1 OK",
    "a2 OK",
    "a2 NO",
    "a3 BAD",
    "a1",
    "+OK",
    "-ERR",
    ".",
    "..",
    "220",
    "220-",
    "250",
    "250-",
    "421",
    "554",
    "STARTTLS",
    "STLS",
    "AUTH=PLAIN",
    "\"IMPLEMENTATION\"",
    "\"SASL\"",
    "\"STARTTLS\"",
    "OK",
    "NO",
    "BYE",
    "{5}",
    "[CAPABILITY",
    "]",
    "LOGINDISABLED",
    "SASL PLAIN",
    "USER",
    " ",
    "",
    "\u{0}",
    "\u{fffd}",
    "é",
    "9999999999",
    "-",
    "+",
    "*",
    "\"",
    "\\",
];

fn random_line(rng: &mut Rng) -> String {
    let mut line = String::new();
    for _ in 0..rng.below(6) {
        if rng.below(8) == 0 {
            // Raw junk, as a lossy-decoded server line would contain.
            let bytes: Vec<u8> = (0..rng.below(12)).map(|_| rng.next() as u8).collect();
            line.push_str(&String::from_utf8_lossy(&bytes));
        } else {
            line.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
        }
        if rng.below(2) == 0 {
            line.push(' ');
        }
    }
    line
}

/// A well-behaved server's lines, so that mixed-in junk reaches every state.
fn script(protocol: Protocol) -> &'static [&'static str] {
    match protocol {
        Protocol::Imap => &[
            "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready",
            "* CAPABILITY IMAP4rev1 STARTTLS",
            "a1 OK done",
            "a2 OK Begin TLS",
            "* CAPABILITY IMAP4rev1 AUTH=PLAIN",
            "a3 OK done",
            "* BYE",
            "a4 OK bye",
        ],
        Protocol::Pop3 => &[
            "+OK ready",
            "+OK",
            "TOP",
            "STLS",
            "SASL PLAIN",
            ".",
            "+OK Begin TLS",
            "+OK",
            "USER",
            ".",
            "+OK bye",
        ],
        Protocol::Smtp => &[
            "220-mail.test ESMTP",
            "220 mail.test ESMTP",
            "250-mail.test",
            "250-PIPELINING",
            "250 STARTTLS",
            "220 2.0.0 Ready",
            "250-mail.test",
            "250 AUTH PLAIN LOGIN",
            "221 bye",
        ],
        Protocol::Sieve => &[
            "\"IMPLEMENTATION\" \"x\"",
            "\"STARTTLS\"",
            "OK",
            "OK \"Begin TLS\"",
            "\"SASL\" \"PLAIN\"",
            "OK",
            "OK \"bye\"",
        ],
    }
}

#[test]
fn random_server_lines_never_panic_or_spin() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for protocol in [
        Protocol::Imap,
        Protocol::Pop3,
        Protocol::Smtp,
        Protocol::Sieve,
    ] {
        for mode in [TlsMode::Starttls, TlsMode::Implicit] {
            for _ in 0..2_000 {
                let mut dialogue = dialogue_for(protocol, mode, "[127.0.0.1]");
                if mode == TlsMode::Implicit {
                    dialogue.on_tls_established();
                }
                let mut lines = 0;
                'conversation: loop {
                    // Between two reads a dialogue may queue a few sends, never endless ones.
                    let mut sends = 0;
                    let action = loop {
                        match dialogue.next_action() {
                            Action::Send(bytes) => {
                                assert!(bytes.ends_with(b"\r\n"), "{protocol:?}: {bytes:?}");
                                sends += 1;
                                assert!(sends < 8, "{protocol:?} keeps sending");
                            }
                            other => break other,
                        }
                    };
                    match action {
                        Action::ReadLine => {
                            lines += 1;
                            let good = script(protocol);
                            let line = match rng.below(4) {
                                0 => random_line(&mut rng),
                                1 => good[rng.below(good.len())].to_owned(),
                                _ => good
                                    .get(lines - 1)
                                    .map_or_else(|| random_line(&mut rng), |l| (*l).to_owned()),
                            };
                            if lines > 600 || dialogue.on_line(&line).is_err() {
                                break 'conversation;
                            }
                        }
                        Action::StartTls => dialogue.on_tls_established(),
                        Action::Done => break 'conversation,
                        Action::Send(_) => unreachable!("sends are drained above"),
                    }
                }
            }
        }
    }
}
