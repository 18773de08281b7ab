//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s), with replay protection:
//! a code is accepted only for a time step later than the last one used by the same account.

use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECONDS: u64 = 30;
const ISSUER: &str = "SATIS";

/// A fresh 160-bit secret.
pub fn new_secret() -> Vec<u8> {
    let mut b = vec![0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut b);
    b
}

fn totp(secret: &[u8], account: &str) -> Option<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        secret.to_vec(),
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .ok()
}

/// The secret in base32, for typing into an app by hand.
pub fn secret_base32(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

/// The `otpauth://` URL an authenticator app reads from the QR code.
pub fn otpauth_url(secret: &[u8], account: &str) -> Option<String> {
    totp(secret, account).map(|t| t.get_url())
}

/// The QR code of the otpauth URL as an inline SVG drawn by the server (no third party).
pub fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

/// The code for a given time (used by tests and the demo to act as an authenticator app).
pub fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    totp(secret, "x")
        .map(|t| t.generate(unix_seconds))
        .unwrap_or_default()
}

/// Checks `code` at `unix_seconds`, allowing one step of clock drift either way. Returns the
/// matched time step when the code is right and newer than `last_step`.
pub fn verify(secret: &[u8], code: &str, unix_seconds: u64, last_step: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, "x")?;
    let now_step = (unix_seconds / STEP_SECONDS) as i64;
    for step in [now_step - 1, now_step, now_step + 1] {
        if step < 0 {
            continue;
        }
        let expected = t.generate(step as u64 * STEP_SECONDS);
        if crate::platform::crypto::constant_time_eq(expected.as_bytes(), code.as_bytes())
            && last_step.is_none_or(|last| step > last)
        {
            return Some(step);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_verify_once_within_drift() {
        let s = new_secret();
        let now = 1_800_000_000u64;
        let code = code_at(&s, now);
        let step = verify(&s, &code, now, None).unwrap();
        // The same code again is a replay.
        assert_eq!(verify(&s, &code, now, Some(step)), None);
        // The previous step's code is accepted (drift) only if not used before.
        let prev = code_at(&s, now - 30);
        assert_eq!(verify(&s, &prev, now, None), Some(step - 1));
        assert_eq!(verify(&s, &prev, now, Some(step)), None);
        // Too old, malformed or wrong codes are refused.
        assert_eq!(verify(&s, &code_at(&s, now - 120), now, None), None);
        assert_eq!(verify(&s, "12345", now, None), None);
        assert_eq!(verify(&s, "abcdef", now, None), None);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert_eq!(verify(&s, wrong, now, None), None);
        // Spaces typed by people are ignored.
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(verify(&s, &spaced, now, None).is_some());
    }

    #[test]
    fn enrolment_material_is_rendered_locally() {
        let s = new_secret();
        let url = otpauth_url(&s, "mrossi").unwrap();
        assert!(url.starts_with("otpauth://totp/SATIS:mrossi?"));
        assert!(url.contains(&secret_base32(&s)));
        let svg = qr_svg(&url).unwrap();
        assert!(svg.contains("<svg"));
        assert!(!svg.contains("http://") || svg.contains("http://www.w3.org/2000/svg"));
    }
}
