//! The proof-of-work stamp of the public form (after GlobaLeaks): a browser with JavaScript
//! finds a number `n` such that SHA-256 of `satis-pow-v1:<submission id>:<n>` starts with
//! [`BITS`] zero bits while the reporter types (static/segnala.js). The server checks it with
//! one hash. A stamped report is not held to its address's throttle (a reporter behind the
//! same address as an abuser still gets through), only to a ceiling of stamped reports; a
//! form sent without JavaScript carries no stamp and is held to its address's throttle.
//! Each stamp is bound to a one-time submission id, so it cannot be used twice.

use sha2::{Digest, Sha256};

/// Leading zero bits asked for: about 65,000 hashes, a second or two on a cheap phone.
pub const BITS: u32 = 16;

fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut n = 0;
    for b in digest {
        if *b == 0 {
            n += 8;
        } else {
            return n + b.leading_zeros();
        }
    }
    n
}

/// Whether `stamp` is a valid proof of work for `submission` at `bits`.
pub fn valid(submission: &str, stamp: &str, bits: u32) -> bool {
    let stamp = stamp.trim();
    if stamp.is_empty() || stamp.len() > 12 || !stamp.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digest = Sha256::digest(format!("satis-pow-v1:{submission}:{stamp}").as_bytes());
    leading_zero_bits(&digest) >= bits
}

/// Finds a stamp (what the browser does; used by tests and the gates' clients).
pub fn solve(submission: &str, bits: u32) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|n| valid(submission, n, bits))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_found_stamp_is_valid_for_its_submission_only() {
        let stamp = solve("abcdefghijklmnopqrstuvwx", 12);
        assert!(valid("abcdefghijklmnopqrstuvwx", &stamp, 12));
        assert!(!valid("abcdefghijklmnopqrstuvwy", &stamp, 12));
        assert!(!valid("abcdefghijklmnopqrstuvwx", "", 12));
        assert!(!valid("abcdefghijklmnopqrstuvwx", "12a", 1));
        assert!(!valid("abcdefghijklmnopqrstuvwx", "-1", 1));
        assert!(!valid("abcdefghijklmnopqrstuvwx", "1234567890123", 0));
    }

    #[test]
    fn zero_bits_are_counted_across_bytes() {
        assert_eq!(leading_zero_bits(&[0, 0, 0x10, 0xff]), 19);
        assert_eq!(leading_zero_bits(&[0x80]), 0);
        assert_eq!(leading_zero_bits(&[0, 0]), 16);
    }
}
