//! The languages of the public report form: those of the people the network meets most.
//! Their messages live in `locales-public/<lang>/`, apart from the staff bundles; Italian is
//! the reference and every key exists in every language (tested below).

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader, static_loader};
use unic_langid::{LanguageIdentifier, langid};

static_loader! {
    static PUBLIC = {
        locales: "./locales-public",
        fallback_language: "it",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicLang {
    It,
    En,
    Fr,
    Es,
    Ro,
    Sq,
    Zh,
    Ar,
}

impl PublicLang {
    pub const ALL: [PublicLang; 8] = [
        PublicLang::It,
        PublicLang::En,
        PublicLang::Fr,
        PublicLang::Es,
        PublicLang::Ro,
        PublicLang::Sq,
        PublicLang::Zh,
        PublicLang::Ar,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PublicLang::It => "it",
            PublicLang::En => "en",
            PublicLang::Fr => "fr",
            PublicLang::Es => "es",
            PublicLang::Ro => "ro",
            PublicLang::Sq => "sq",
            PublicLang::Zh => "zh",
            PublicLang::Ar => "ar",
        }
    }

    /// The language's name in itself, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            PublicLang::It => "Italiano",
            PublicLang::En => "English",
            PublicLang::Fr => "Français",
            PublicLang::Es => "Español",
            PublicLang::Ro => "Română",
            PublicLang::Sq => "Shqip",
            PublicLang::Zh => "中文",
            PublicLang::Ar => "العربية",
        }
    }

    pub fn dir(self) -> &'static str {
        if self == PublicLang::Ar { "rtl" } else { "ltr" }
    }

    pub fn from_code(code: &str) -> Option<PublicLang> {
        let primary = code.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        PublicLang::ALL.into_iter().find(|l| l.code() == primary)
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            PublicLang::It => langid!("it"),
            PublicLang::En => langid!("en"),
            PublicLang::Fr => langid!("fr"),
            PublicLang::Es => langid!("es"),
            PublicLang::Ro => langid!("ro"),
            PublicLang::Sq => langid!("sq"),
            PublicLang::Zh => langid!("zh"),
            PublicLang::Ar => langid!("ar"),
        }
    }

    pub fn t(self, key: &str) -> String {
        PUBLIC
            .try_lookup(&self.langid(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    pub fn t1(self, key: &str, name: &str, value: &str) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        args.insert(Cow::Owned(name.to_owned()), FluentValue::from(value));
        PUBLIC
            .try_lookup_with_args(&self.langid(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// A message with two named arguments.
    pub fn t2(self, key: &str, a: (&str, &str), b: (&str, &str)) -> Option<String> {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        args.insert(Cow::Owned(a.0.to_owned()), FluentValue::from(a.1));
        args.insert(Cow::Owned(b.0.to_owned()), FluentValue::from(b.1));
        PUBLIC.try_lookup_with_args(&self.langid(), key, &args)
    }

    /// The first supported language in an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<PublicLang> {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .find_map(|tag| PublicLang::from_code(tag.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(lang: PublicLang) -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales-public")
            .join(lang.code());
        let mut out = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let resource = fluent_syntax::parser::parse(text.as_str())
                .unwrap_or_else(|(_, e)| panic!("{lang:?}: {e:?}"));
            for e in resource.body {
                if let fluent_syntax::ast::Entry::Message(m) = e {
                    out.insert(m.id.name.to_owned());
                }
            }
        }
        out
    }

    #[test]
    fn every_public_key_exists_in_every_language() {
        let reference = keys(PublicLang::It);
        assert!(reference.len() > 30);
        for lang in PublicLang::ALL {
            let other = keys(lang);
            let missing: Vec<_> = reference.difference(&other).collect();
            assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
            let extra: Vec<_> = other.difference(&reference).collect();
            assert!(extra.is_empty(), "{lang:?} has extra {extra:?}");
        }
    }

    #[test]
    fn arabic_is_right_to_left_and_codes_parse() {
        assert_eq!(PublicLang::Ar.dir(), "rtl");
        assert_eq!(PublicLang::Ro.dir(), "ltr");
        assert_eq!(PublicLang::from_code("zh-CN"), Some(PublicLang::Zh));
        assert_eq!(PublicLang::from_code("de"), None);
        assert_eq!(
            PublicLang::from_accept_language("de, sq;q=0.8, en;q=0.5"),
            Some(PublicLang::Sq)
        );
        assert_ne!(
            PublicLang::Ar.t("segnala-title"),
            PublicLang::It.t("segnala-title")
        );
    }
}
