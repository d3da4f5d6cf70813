//! Server lines into every dialogue: no panic, no endless sending.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailtls::facts::protocol::{Protocol, TlsMode};
use mailtls::protocol::{dialogue_for, Action};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let protocol = [Protocol::Imap, Protocol::Pop3, Protocol::Smtp, Protocol::Sieve]
        [usize::from(selector & 3)];
    let mode = if selector & 4 == 0 { TlsMode::Starttls } else { TlsMode::Implicit };
    let mut dialogue = dialogue_for(protocol, mode, "[127.0.0.1]");
    if mode == TlsMode::Implicit {
        dialogue.on_tls_established();
    }
    let text = String::from_utf8_lossy(rest);
    let mut lines = text.split('\n');
    let mut sends = 0;
    loop {
        match dialogue.next_action() {
            Action::Send(_) => {
                sends += 1;
                assert!(sends < 8);
            }
            Action::ReadLine => match lines.next().inspect(|_| sends = 0) {
                Some(line) => {
                    if dialogue.on_line(line.trim_end_matches('\r')).is_err() {
                        return;
                    }
                }
                None => return,
            },
            Action::StartTls => dialogue.on_tls_established(),
            Action::Done => return,
        }
    }
});
