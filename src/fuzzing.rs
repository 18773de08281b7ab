//! Entry points for the fuzzers (`fuzz/`, `cargo fuzz`) and for the corpus regression test:
//! each takes arbitrary bytes, runs one parser of untrusted input, and checks what must hold
//! whatever the input. A panic here is a defect: these parsers face the public and other
//! systems' files.
//!
//! The fuzz targets are one line each (`fuzz/fuzz_targets/*.rs`); every input in
//! `fuzz/corpus/<target>/` is replayed by `cargo test` (the test below), so a crash once
//! found stays fixed.

use std::collections::HashSet;

use axum::body::Bytes;

use crate::exchange::{ctdc, htcds, htcds_csv};
use crate::platform::api;
use crate::platform::web::form::Fields;

/// A parser's fuzz entry point.
pub type Target = fn(&[u8]);

/// The parsers, by the name of their fuzz target.
pub const TARGETS: &[(&str, Target)] = &[
    ("public_form", public_form),
    ("receipt", receipt),
    ("htcds_document", htcds_document),
    ("ctdc_csv", ctdc_csv),
    ("htcds_csv", htcds_csv_file),
    ("api_bodies", api_bodies),
];

/// The public report form (`POST /segnala`) as a browser or a robot sends it.
pub fn public_form(data: &[u8]) {
    let f = Fields::parse(&Bytes::copy_from_slice(data));
    if let Ok(r) = crate::reports::public::read_report(&f) {
        assert!(r.what.chars().count() >= 10);
        assert!(r.people.is_none_or(|n| (1..=999).contains(&n)));
        assert!(r.anonymous || !r.contact.is_empty());
        assert!((16..=64).contains(&r.submission.len()));
    }
}

/// A receipt typed by a reporter coming back.
pub fn receipt(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(r) = crate::reports::store::normalise_receipt(text) {
        // A normalised receipt reads back as itself, and its lookup group is a prefix of it.
        assert_eq!(
            crate::reports::store::normalise_receipt(&r).as_deref(),
            Some(r.as_str())
        );
        assert!(r.starts_with(crate::reports::store::lookup_of(&r)));
    }
}

/// An HTCDS case document from another organisation or system.
pub fn htcds_document(data: &[u8]) {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(record) = htcds::read(&doc, 2026) {
        // What was accepted is written out and read back the same.
        let again = htcds::read(&htcds::document(&record), 2026);
        assert_eq!(again.ok().as_ref(), Some(&record));
    }
}

/// A CTDC-layout CSV file for `satis import ctdc`.
pub fn ctdc_csv(data: &[u8]) {
    let _ = ctdc::plan(data, &HashSet::new(), 2026, |_| {});
}

/// An HTCDS-column CSV file for `satis import htcds`.
pub fn htcds_csv_file(data: &[u8]) {
    let _ = ctdc::plan_as::<htcds_csv::Layout>(data, &HashSet::new(), 2026, |_| {});
}

/// JSON bodies of the API's creating and updating operations, decoded and handed to what reads
/// them into the areas' typed inputs.
pub fn api_bodies(data: &[u8]) {
    if let Ok(c) = api::decode::<crate::hotline::api::ContactIn>(data) {
        let _ = c.draft();
    }
    if let Ok(o) = api::decode::<crate::outreach::api::OutingIn>(data) {
        let _ = o.draft(&["condoms".to_owned()], "fuzz-key-0001");
    }
    if let Ok(i) = api::decode::<crate::outreach::api::InterviewIn>(data) {
        let _ = i.draft("fuzz-key-0001");
    }
    let _ = api::decode::<crate::outreach::api::AccompanimentIn>(data);
    let _ = api::decode::<crate::cases::api::AssessmentIn>(data);
    let _ = api::decode::<crate::cases::api::ConsentIn>(data);
    let _ = api::decode::<crate::cases::api::PermitIn>(data);
    let _ = api::decode::<crate::hotline::api::EmergencyChangeIn>(data);
    let _ = api::decode::<crate::hotline::api::InterviewRecordIn>(data);
    let _ = api::decode::<crate::cases::api::PhaseChange>(data);
    let _ = api::decode::<crate::hotline::api::ContactPatch>(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every input kept in `fuzz/corpus/` (seeds and any crash once found) runs without a
    /// panic. The fuzzers themselves run in CI (`scripts/gate-fuzz`).
    #[test]
    fn the_fuzz_corpus_replays_without_a_panic() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        let mut replayed = 0;
        for (name, run) in TARGETS {
            let dir = root.join(name);
            let entries =
                std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            for entry in entries {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| run(&data));
                assert!(outcome.is_ok(), "{name}: {} panics", path.display());
                replayed += 1;
            }
        }
        assert!(replayed >= TARGETS.len(), "every target has a corpus");
    }
}
