//! Translations with Project Fluent. The `.ftl` files under `locales/` are embedded in the binary.
//! Italian is the reference language; every key it has must exist in every other language
//! (checked by a test below).

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader, static_loader};
use unic_langid::{LanguageIdentifier, langid};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "it",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language SATIS speaks to its staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    It,
    En,
}

impl Lang {
    /// Every supported language, the reference (Italian) first.
    pub const ALL: [Lang; 2] = [Lang::It, Lang::En];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::It => "it",
            Lang::En => "en",
        }
    }

    /// The language's own name, as shown in the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::It => "Italiano",
            Lang::En => "English",
        }
    }

    /// Parses a language code such as `en`, `en-GB` or `IT`.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        match primary.as_str() {
            "it" => Some(Lang::It),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Lang::It => langid!("it"),
            Lang::En => langid!("en"),
        }
    }

    /// The first supported language in an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut choices: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map(|q| q.trim().parse::<f32>().unwrap_or(0.0))
                    .unwrap_or(1.0);
                let lang = Lang::from_code(tag)?;
                (q > 0.0).then_some((q, i, lang))
            })
            .collect();
        choices.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        choices.first().map(|c| c.2)
    }

    /// The translation of `key`. A missing key shows the key itself, never a panic.
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.langid(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The translation of `key`, if there is one.
    pub fn try_t(self, key: &str) -> Option<String> {
        LOCALES.try_lookup(&self.langid(), key)
    }

    /// The translation of `key` with named arguments. A whole number written plainly (no sign,
    /// no leading zero: a count, not a code) is passed as a number, so that plural forms
    /// choose by it ("1 scadenza", "2 scadenze").
    pub fn t_args(self, key: &str, args: &[(&str, &str)]) -> String {
        let value = |v: &str| -> FluentValue<'static> {
            match v.parse::<u64>() {
                Ok(n) if n.to_string() == v => FluentValue::from(n),
                _ => FluentValue::from(v.to_owned()),
            }
        };
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_owned()), value(v)))
            .collect();
        LOCALES
            .try_lookup_with_args(&self.langid(), key, &map)
            .unwrap_or_else(|| key.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn counts_choose_the_plural_and_codes_stay_as_written() {
        let one = Lang::It.t_args("form-problems", &[("count", "1")]);
        assert!(one.contains("c'è un dato"), "{one}");
        let two = Lang::It.t_args("form-problems", &[("count", "2")]);
        assert!(two.contains("ci sono 2 dati"), "{two}");
        let late = Lang::It.t_args("reminder-late", &[("days", "1")]);
        assert_eq!(late, "in ritardo di 1 giorno");
        // A code with a leading zero or a date is text, unchanged.
        let on = Lang::It.t_args("reminder-on", &[("date", "05/01/2027")]);
        assert_eq!(on, "scadenza 05/01/2027");
    }

    /// Pages speak to operators and citizens, not to developers: no message points to a
    /// file of the source tree (a definition or a schema is a page or a download instead).
    #[test]
    fn no_message_points_to_the_source_tree() {
        for root in ["locales", "locales-public"] {
            let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(root);
            for lang in std::fs::read_dir(&base).unwrap() {
                for file in std::fs::read_dir(lang.unwrap().path()).unwrap() {
                    let path = file.unwrap().path();
                    let text = std::fs::read_to_string(&path).unwrap();
                    for (n, line) in text.lines().enumerate() {
                        assert!(
                            !line.contains("docs/") && !line.contains(".md"),
                            "{}:{}: {line}",
                            path.display(),
                            n + 1
                        );
                    }
                }
            }
        }
    }

    fn keys(lang: Lang) -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang.code());
        let mut keys = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("ftl") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let resource = fluent_syntax::parser::parse(text.as_str())
                .unwrap_or_else(|(_, errors)| panic!("{}: {errors:?}", path.display()));
            for entry in resource.body {
                if let fluent_syntax::ast::Entry::Message(m) = entry {
                    keys.insert(m.id.name.to_owned());
                }
            }
        }
        keys
    }

    #[test]
    fn every_italian_key_exists_in_every_other_language() {
        let reference = keys(Lang::It);
        assert!(reference.len() > 10, "the Italian bundle looks empty");
        for lang in Lang::ALL {
            let other = keys(lang);
            let missing: Vec<_> = reference.difference(&other).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.code());
            let extra: Vec<_> = other.difference(&reference).collect();
            assert!(
                extra.is_empty(),
                "{} has keys Italian lacks: {extra:?}",
                lang.code()
            );
        }
    }

    #[test]
    fn lookups_translate_and_fall_back_to_the_key() {
        assert_eq!(Lang::It.t("lang-name"), "Italiano");
        assert_eq!(Lang::En.t("lang-name"), "English");
        assert_eq!(Lang::En.t("no-such-key"), "no-such-key");
        let s = Lang::En.t_args("error-reference", &[("id", "abc")]);
        assert!(s.contains("abc"), "{s}");
    }

    #[test]
    fn accept_language_is_negotiated_by_quality() {
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("de, en;q=0.5, it;q=0.8"),
            Some(Lang::It)
        );
        assert_eq!(Lang::from_accept_language("de, fr"), None);
        assert_eq!(
            Lang::from_accept_language("it;q=0, en;q=0.1"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language(""), None);
    }
}
