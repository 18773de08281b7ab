//! Lists of codes kept in one text column (`"labour,sexual"`): every area reads and writes
//! them through these functions, so that an empty list, a stray space or an empty item mean
//! the same thing everywhere. Codes never contain a comma (the code lists are closed).

/// The codes of a stored list, in their order, without empty items.
pub fn iter(stored: &str) -> impl Iterator<Item = &str> {
    stored.split(',').map(str::trim).filter(|c| !c.is_empty())
}

/// Whether the stored list holds `code`.
pub fn contains(stored: &str, code: &str) -> bool {
    iter(stored).any(|c| c == code)
}

/// The codes of a stored list, owned.
pub fn to_vec(stored: &str) -> Vec<String> {
    iter(stored).map(str::to_owned).collect()
}

/// The first code of a stored list (`""` when it is empty).
pub fn first(stored: &str) -> &str {
    iter(stored).next().unwrap_or("")
}

/// The stored form of a list of codes (empty items dropped).
pub fn join<S: AsRef<str>>(codes: &[S]) -> String {
    let kept: Vec<&str> = codes
        .iter()
        .map(|c| c.as_ref().trim())
        .filter(|c| !c.is_empty())
        .collect();
    kept.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_column_is_an_empty_list_not_one_empty_code() {
        assert_eq!(to_vec(""), Vec::<String>::new());
        assert_eq!(to_vec(",labour,, sexual "), ["labour", "sexual"]);
        assert!(!contains("", ""));
        assert!(contains("labour,sexual", "sexual"));
        assert!(!contains("labour,sexual", "sex"));
        assert_eq!(first(",NG,IT"), "NG");
        assert_eq!(first(""), "");
    }

    #[test]
    fn a_list_written_is_read_back_the_same() {
        let codes = ["labour", "", "begging"];
        assert_eq!(join(&codes), "labour,begging");
        assert_eq!(to_vec(&join(&codes)), ["labour", "begging"]);
        assert_eq!(join::<&str>(&[]), "");
    }
}
