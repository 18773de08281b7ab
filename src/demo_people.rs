//! People seen by several bodies, for the demonstration (issue 26): an invented population of
//! 200 people, each reached — or not — by an NGO, social services, the health service, the
//! prosecutor's office and the Territorial Commission, each body recording the person as its
//! operators would (names in another order, a letter typed twice or missed, the birth year
//! off by one or unknown). Linkage finds the same person across bodies without names being
//! shared, and `satis estimate mse --from --to` / `/stats/estimate` estimate the people no
//! body reached: about 40 of the 200 here, by construction.

use rand::{Rng, SeedableRng};
use sea_orm::DatabaseConnection;

use crate::cases::store as cases;
use crate::platform::crypto::KeyRing;

/// The organisations of the network's register that record these people, each with the
/// chance that a person is recorded there.
pub const BODIES: &[(&str, f64)] = &[
    ("Arnera Coop. Sociale", 0.45),
    ("SdS Zona Pisana", 0.30),
    ("Azienda USL Toscana Centro", 0.25),
    ("Procura della Repubblica presso il Tribunale di Pisa", 0.20),
    ("Commissione Territoriale Firenze", 0.15),
];

/// The size of the invented population (those recorded nowhere included).
pub const POPULATION: usize = 200;

const GIVEN: &[&str] = &[
    "Blessing",
    "Joy",
    "Precious",
    "Favour",
    "Esther",
    "Gift",
    "Mercy",
    "Peace",
    "Ioana",
    "Elena",
    "Mihaela",
    "Andreea",
    "Florentina",
    "Alina",
    "Arta",
    "Blerina",
    "Elira",
    "Drita",
    "Fatima",
    "Khadija",
    "Amina",
    "Samira",
    "Yasmine",
    "Li Na",
    "Mei",
    "Xiu Ying",
    "Juliana",
    "Fernanda",
    "Adaeze",
    "Osas",
];

const FAMILY: &[&str] = &[
    "Okafor",
    "Eze",
    "Osagie",
    "Igbinedion",
    "Obaseki",
    "Ehigiator",
    "Popescu",
    "Ionescu",
    "Dumitru",
    "Stan",
    "Gheorghe",
    "Hoxha",
    "Krasniqi",
    "Berisha",
    "Shehu",
    "El Amrani",
    "Benali",
    "Bouzid",
    "Haddad",
    "Zhang",
    "Wang",
    "Chen",
    "Liu",
    "Souza",
    "Oliveira",
    "Pereira",
    "Nwachukwu",
    "Uwaifo",
    "Aigbe",
    "Edosa",
];

const NATIONALITIES: &[&str] = &["NG", "NG", "NG", "RO", "RO", "AL", "MA", "CN", "BR"];

/// A name as one more operator writes it.
fn as_written(rng: &mut impl Rng, given: &str, family: &str) -> String {
    match rng.random_range(0..6) {
        0 => format!("{family} {given}"),
        1 => {
            // A letter typed twice.
            let at = rng.random_range(1..family.len());
            let (a, b) = family.split_at(at);
            let doubled = b.chars().next().map(String::from).unwrap_or_default();
            format!("{given} {a}{doubled}{b}")
        }
        2 => {
            // A letter missed.
            let chars: Vec<char> = family.chars().collect();
            let at = rng.random_range(1..chars.len());
            let missed: String = chars
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != at)
                .map(|(_, c)| c)
                .collect();
            format!("{given} {missed}")
        }
        _ => format!("{given} {family}"),
    }
}

/// One record of the invented population: which person, which body (an index into
/// [`BODIES`]), as that body wrote it, and how many days ago its case was opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    /// The person (0 to [`POPULATION`] − 1): records with the same person are one person.
    pub person: usize,
    pub body: usize,
    pub names: String,
    pub gender: &'static str,
    pub birth_year: Option<i32>,
    pub nationality: &'static str,
    pub days_ago: i64,
}

/// The records the demonstration writes, the same every time (a fixed seed): what the
/// linkage should find again, person by person.
pub fn plan() -> Vec<Planned> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let mut out = Vec::new();
    for i in 0..POPULATION {
        // Distinct people: a given name and a surname each person alone has.
        let given = GIVEN[i % GIVEN.len()];
        let family = FAMILY[(i / GIVEN.len() * 7 + i * 11) % FAMILY.len()];
        let gender = if i % 9 == 0 { "male" } else { "female" };
        let year = 1985 + (i % 17) as i32;
        let nationality = NATIONALITIES[i % NATIONALITIES.len()];
        for (body, (_, chance)) in BODIES.iter().enumerate() {
            if !rng.random_bool(*chance) {
                continue;
            }
            let birth_year = match rng.random_range(0..10) {
                0 => None,
                1 => Some(year + 1),
                _ => Some(year),
            };
            let names = as_written(&mut rng, given, family);
            let days_ago = rng.random_range(5..300);
            out.push(Planned {
                person: i,
                body,
                names,
                gender,
                birth_year,
                nationality,
                days_ago,
            });
        }
    }
    out
}

/// Records the invented population once (nothing when its first body already has cases).
pub async fn load(db: &DatabaseConnection, keys: &KeyRing, by_user: i32) -> Result<(), String> {
    let mut bodies = Vec::new();
    for (name, _) in BODIES {
        let org = crate::network::organisation_by_name(db, name)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("demo organisation {name} missing"))?;
        bodies.push(org.id);
    }
    let Some(first) = bodies.first() else {
        return Ok(());
    };
    if !cases::cases_for_org(db, *first)
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok(());
    }
    let today = crate::platform::time::rome_today();
    // The cases of each person, to share a few with the demo's case workers below.
    let mut recorded: Vec<Vec<i32>> = vec![Vec::new(); POPULATION];
    for r in plan() {
        let Some(org) = bodies.get(r.body) else {
            continue;
        };
        let person = cases::NewPerson {
            gender: r.gender.into(),
            birth_year: r.birth_year,
            birth_year_estimated: true,
            presumed_minor: false,
            nationalities: vec![r.nationality.into()],
            languages: vec![],
            vulnerabilities: String::new(),
        };
        let identity = cases::Identity {
            names: r.names,
            ..Default::default()
        };
        let opened = today - chrono::Duration::days(r.days_ago);
        let (_, case) = cases::open_case(db, keys, &person, &identity, *org, by_user, opened)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(mine) = recorded.get_mut(r.person) {
            mine.push(case.id);
        }
    }
    // The demo's case workers (Progetto Arcobaleno) host three of the people recorded by
    // several bodies, whose cases were shared with them: their "Stessa persona?" queue shows
    // those records side by side.
    if let Some(host) = crate::network::organisation_by_name(db, "Associazione Progetto Arcobaleno")
        .await
        .map_err(|e| e.to_string())?
    {
        for cases_of_one in recorded.iter().filter(|c| c.len() >= 2).take(3) {
            for case in cases_of_one {
                cases::share(db, *case, host.id)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}
