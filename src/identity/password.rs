//! Password rules: at least 12 characters, long passphrases welcome (up to 256), no composition
//! rules, and never one of the common passwords kept in `common-passwords.txt`.

const COMMON: &str = include_str!("common-passwords.txt");

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 256;

/// Why a new password is refused (each variant has a translated message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weakness {
    TooShort,
    TooLong,
    Common,
    SameAsUsername,
}

impl Weakness {
    pub fn message_key(self) -> &'static str {
        match self {
            Weakness::TooShort => "password-too-short",
            Weakness::TooLong => "password-too-long",
            Weakness::Common => "password-common",
            Weakness::SameAsUsername => "password-same-as-username",
        }
    }
}

fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    COMMON
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .any(|l| l == lower)
}

/// Checks a new password against the rules.
pub fn check(password: &str, username: &str) -> Result<(), Weakness> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        return Err(Weakness::TooShort);
    }
    if n > MAX_CHARS {
        return Err(Weakness::TooLong);
    }
    if username.chars().count() >= 4 && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(Weakness::SameAsUsername);
    }
    if is_common(password) {
        return Err(Weakness::Common);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_counts_characters_not_bytes() {
        assert_eq!(check("short", "u"), Err(Weakness::TooShort));
        assert_eq!(check("àèìòùàèìòùà", "u"), Err(Weakness::TooShort)); // 11 chars, 22 bytes
        assert_eq!(check("àèìòùàèìòùàè", "u"), Ok(()));
        assert_eq!(check(&"x".repeat(257), "u"), Err(Weakness::TooLong));
        assert_eq!(check("una frase lunga e facile da ricordare", "u"), Ok(()));
    }

    #[test]
    fn common_passwords_are_refused_whatever_the_case() {
        assert_eq!(check("Password1234", "u"), Err(Weakness::Common));
        assert_eq!(check("QWERTYUIOP12", "u"), Err(Weakness::Common));
        assert_eq!(check("fiorentina2026", "u"), Err(Weakness::Common));
        assert!(COMMON.lines().filter(|l| !l.starts_with('#')).count() > 400);
    }

    #[test]
    fn password_may_not_contain_the_username() {
        assert_eq!(
            check("mrossi-is-my-password", "mrossi"),
            Err(Weakness::SameAsUsername)
        );
    }
}
