//! The figures an analyst checks a historical file against: records by registration year,
//! data source, gender, age band, each form of exploitation (yes, no, not recorded),
//! citizenship and country of exploitation. Plain counting, no database.

use std::collections::BTreeMap;

use super::ctdc::FORMS;

/// What a flag says about a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    NotRecorded,
}

impl Answer {
    pub const ALL: [Answer; 3] = [Answer::Yes, Answer::No, Answer::NotRecorded];

    /// The Fluent key of its label.
    pub fn message_key(self) -> &'static str {
        match self {
            Answer::Yes => "answer-yes",
            Answer::No => "answer-no",
            Answer::NotRecorded => "answer-not-recorded",
        }
    }
}

/// One historical record as far as the figures go. Empty text means not recorded.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counted<'a> {
    pub year: i32,
    pub datasource: &'a str,
    pub gender: &'a str,
    pub age_broad: &'a str,
    /// Forms the record says yes to, and no to; a form in neither was not recorded.
    pub forms_yes: &'a [&'a str],
    pub forms_no: &'a [&'a str],
    pub citizenship: &'a str,
    pub country: &'a str,
}

/// The counts. Keys are codes (translated when shown); `""` is "not recorded".
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Figures {
    pub total: i64,
    pub year: BTreeMap<i32, i64>,
    pub datasource: BTreeMap<String, i64>,
    pub gender: BTreeMap<String, i64>,
    pub age_broad: BTreeMap<String, i64>,
    /// Form code → yes / no / not recorded; every form of the CTDC layout is listed.
    pub forms: BTreeMap<&'static str, BTreeMap<Answer, i64>>,
    pub citizenship: BTreeMap<String, i64>,
    pub country: BTreeMap<String, i64>,
}

fn bump<K: Ord>(map: &mut BTreeMap<K, i64>, key: K, n: i64) {
    *map.entry(key).or_insert(0) += n;
}

impl Figures {
    pub fn add(&mut self, r: &Counted<'_>) {
        self.add_n(r, 1);
    }

    /// Counts `n` records alike (a grouped query's row).
    pub fn add_n(&mut self, r: &Counted<'_>, n: i64) {
        self.total += n;
        bump(&mut self.year, r.year, n);
        bump(&mut self.datasource, r.datasource.to_owned(), n);
        bump(&mut self.gender, r.gender.to_owned(), n);
        bump(&mut self.age_broad, r.age_broad.to_owned(), n);
        for (_, form) in FORMS {
            let answer = if r.forms_yes.contains(form) {
                Answer::Yes
            } else if r.forms_no.contains(form) {
                Answer::No
            } else {
                Answer::NotRecorded
            };
            bump(self.forms.entry(form).or_default(), answer, n);
        }
        bump(&mut self.citizenship, r.citizenship.to_owned(), n);
        bump(&mut self.country, r.country.to_owned(), n);
    }

    /// The answers to one form, in the order yes, no, not recorded (zeros included).
    pub fn form(&self, form: &str) -> [(Answer, i64); 3] {
        let counts = self.forms.get(form);
        Answer::ALL.map(|a| (a, counts.and_then(|c| c.get(&a)).copied().unwrap_or(0)))
    }
}

/// The `n` largest entries of a count, largest first (ties by key), and how many records the
/// others hold.
pub fn top(map: &BTreeMap<String, i64>, n: usize) -> (Vec<(String, i64)>, i64) {
    let mut all: Vec<(String, i64)> = map.iter().map(|(k, v)| (k.clone(), *v)).collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let rest = all.iter().skip(n).map(|(_, v)| v).sum();
    all.truncate(n);
    (all, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_counted_three_ways_and_the_three_add_up_to_the_total() {
        let mut f = Figures::default();
        f.add(&Counted {
            year: 2019,
            forms_yes: &["sexual"],
            forms_no: &["forced_labour"],
            ..Counted::default()
        });
        f.add(&Counted {
            year: 2020,
            forms_yes: &["forced_labour"],
            ..Counted::default()
        });
        assert_eq!(
            f.form("forced_labour"),
            [(Answer::Yes, 1), (Answer::No, 1), (Answer::NotRecorded, 0)]
        );
        assert_eq!(
            f.form("forced_marriage"),
            [(Answer::Yes, 0), (Answer::No, 0), (Answer::NotRecorded, 2)]
        );
        for (_, form) in FORMS {
            assert_eq!(f.form(form).iter().map(|(_, n)| n).sum::<i64>(), f.total);
        }
        assert_eq!(f.year.get(&2019), Some(&1));
    }

    #[test]
    fn the_top_keeps_the_largest_and_counts_the_rest() {
        let map: BTreeMap<String, i64> = [("NG", 5), ("RO", 9), ("AL", 5), ("CN", 1)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let (top2, rest) = top(&map, 2);
        assert_eq!(top2, vec![("RO".to_owned(), 9), ("AL".to_owned(), 5)]);
        assert_eq!(rest, 6);
    }
}
