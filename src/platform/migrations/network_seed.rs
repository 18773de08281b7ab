//! The Tuscan network as the project's public pages describe it (seed page "Il sistema toscano
//! antitratta"): every organisation and governance role listed there. Loaded once by a
//! migration (it lives beside the migrations: what a migration loads never changes after it
//! has run), so a new instance starts with the real network; later changes are made in the
//! staff pages (and kept in the history), never by editing this file.

/// (name, kind, province, public)
pub const ORGANISATIONS: &[(&str, &str, Option<&str>, bool)] = &[
    ("Regione Toscana", "region", None, true),
    ("Comune di Viareggio", "municipality", Some("LU"), true),
    (
        "Distretto Sociosanitario Zona Versilia",
        "sds",
        Some("LU"),
        true,
    ),
    (
        "ASGI - Associazione per gli Studi Giuridici sull'Immigrazione",
        "legal_association",
        None,
        false,
    ),
    (
        "Consigliera di Parità della Provincia di Arezzo",
        "province",
        Some("AR"),
        true,
    ),
    (
        "Comune di Terranova Bracciolini",
        "municipality",
        Some("AR"),
        true,
    ),
    ("SDS della Valdichiana Aretina", "sds", Some("AR"), true),
    ("Associazione D.O.G.", "ngo", None, false),
    (
        "CAT Coop. sociale Onlus",
        "social_cooperative",
        Some("FI"),
        false,
    ),
    ("Comune di Firenze", "municipality", Some("FI"), true),
    (
        "Comune di San Casciano in Val di Pesa",
        "municipality",
        Some("FI"),
        true,
    ),
    (
        "Comuni afferenti alla SDS Fiorentina Nord-Ovest",
        "sds",
        Some("FI"),
        true,
    ),
    ("SDS Firenze", "sds", Some("FI"), true),
    ("SDS Empolese Valdarno Valdelsa", "sds", Some("FI"), true),
    ("SDS Mugello", "sds", Some("FI"), true),
    (
        "Azienda USL Toscana Centro",
        "health_authority",
        Some("FI"),
        true,
    ),
    (
        "Commissione Territoriale Firenze",
        "territorial_commission",
        Some("FI"),
        true,
    ),
    ("Associazione Progetto Arcobaleno", "ngo", Some("FI"), false),
    (
        "COeSO - Società della Salute Area Socio Sanitaria Grossetana",
        "sds",
        Some("GR"),
        true,
    ),
    ("Comune di Grosseto", "municipality", Some("GR"), true),
    (
        "Comune di Castiglione della Pescaia",
        "municipality",
        Some("GR"),
        true,
    ),
    ("Comune di Campagnatico", "municipality", Some("GR"), true),
    (
        "Comune di Civitella Paganico",
        "municipality",
        Some("GR"),
        true,
    ),
    ("Comune di Roccastrada", "municipality", Some("GR"), true),
    ("Comune di Scansano", "municipality", Some("GR"), true),
    ("Comune di Lucca", "municipality", Some("LU"), true),
    ("Provincia di Lucca", "province", Some("LU"), true),
    (
        "CeIS - Gruppo \"Giovani e Comunità\"",
        "ngo",
        Some("LU"),
        false,
    ),
    (
        "Arnera Coop. Sociale",
        "social_cooperative",
        Some("PI"),
        false,
    ),
    ("Comune di Massa", "municipality", Some("MS"), true),
    ("SDS Lunigiana", "sds", Some("MS"), true),
    ("Associazione Papa Giovanni XXIII", "ngo", None, false),
    ("SdS Zona Pisana", "sds", Some("PI"), true),
    ("SdS Pisa", "sds", Some("PI"), true),
    ("SdS Alta Val di Cecina - Valdera", "sds", Some("PI"), true),
    ("Provincia di Pisa", "province", Some("PI"), true),
    (
        "Procura della Repubblica presso il Tribunale di Pisa",
        "prosecutor",
        Some("PI"),
        true,
    ),
    ("Associazione DIM", "ngo", Some("PI"), false),
    ("SdS Valdinievole", "sds", Some("PT"), true),
    ("SdS Pistoia", "sds", Some("PT"), true),
    ("Associazione Zoè", "ngo", Some("PT"), false),
    (
        "Diocesi di Pistoia per Casa Conchiglia",
        "diocese",
        Some("PT"),
        false,
    ),
    ("Comune di Prato", "municipality", Some("PO"), true),
    ("Provincia di Prato", "province", Some("PO"), true),
    ("SDS Pratese", "sds", Some("PO"), true),
    ("Comune di Montemurlo", "municipality", Some("PO"), true),
    (
        "Comune di Poggio a Caiano",
        "municipality",
        Some("PO"),
        true,
    ),
    ("Comune di Carmignano", "municipality", Some("PO"), true),
    ("Comune di Vaiano", "municipality", Some("PO"), true),
    ("Comune di Cantagallo", "municipality", Some("PO"), true),
    ("Comune di Vernio", "municipality", Some("PO"), true),
    (
        "Sarah Società Coop. Sociale Onlus",
        "social_cooperative",
        Some("PO"),
        false,
    ),
    ("Provincia di Siena", "province", Some("SI"), true),
    ("SdS Senese", "sds", Some("SI"), true),
    ("SDS Altavaldelsa", "sds", Some("SI"), true),
    ("Prefettura di Siena", "prefecture", Some("SI"), true),
    ("Arci comitato provinciale senese", "ngo", Some("SI"), false),
];

/// Regional roles: (organisation, role kind).
pub const REGIONAL_ROLES: &[(&str, &str)] = &[
    ("Comune di Viareggio", "capofila"),
    ("Regione Toscana", "coordinamento_unico"),
    ("Comune di Viareggio", "coordinamento_unico"),
    (
        "Distretto Sociosanitario Zona Versilia",
        "coordinamento_unico",
    ),
    (
        "ASGI - Associazione per gli Studi Giuridici sull'Immigrazione",
        "legal_advice",
    ),
];

/// Per province: (province, coordinator, local network, private network). An empty coordinator
/// means no active partnership (Livorno in the seed): interventions go through the hotline.
pub const PROVINCES: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "AR",
        "Consigliera di Parità della Provincia di Arezzo",
        &[
            "Consigliera di Parità della Provincia di Arezzo",
            "Comune di Terranova Bracciolini",
            "SDS della Valdichiana Aretina",
        ],
        &["Associazione D.O.G.", "CAT Coop. sociale Onlus"],
    ),
    (
        "FI",
        "Comune di Firenze",
        &[
            "Comune di Firenze",
            "Comune di San Casciano in Val di Pesa",
            "Comuni afferenti alla SDS Fiorentina Nord-Ovest",
            "SDS Firenze",
            "SDS Empolese Valdarno Valdelsa",
            "SDS Mugello",
            "Azienda USL Toscana Centro",
            "Commissione Territoriale Firenze",
        ],
        &[
            "Associazione Progetto Arcobaleno",
            "CAT Coop. sociale Onlus",
        ],
    ),
    (
        "GR",
        "COeSO - Società della Salute Area Socio Sanitaria Grossetana",
        &[
            "Comune di Grosseto",
            "Comune di Castiglione della Pescaia",
            "Comune di Campagnatico",
            "Comune di Civitella Paganico",
            "Comune di Roccastrada",
            "Comune di Scansano",
        ],
        &["Associazione D.O.G."],
    ),
    ("LI", "", &[], &[]),
    (
        "LU",
        "Comune di Viareggio",
        &[
            "Comune di Viareggio",
            "Comune di Lucca",
            "Provincia di Lucca",
        ],
        &[
            "CeIS - Gruppo \"Giovani e Comunità\"",
            "Arnera Coop. Sociale",
        ],
    ),
    (
        "MS",
        "Comune di Massa",
        &["SDS Lunigiana", "Associazione Papa Giovanni XXIII"],
        &["Associazione Papa Giovanni XXIII"],
    ),
    (
        "PI",
        "SdS Zona Pisana",
        &[
            "SdS Pisa",
            "SdS Alta Val di Cecina - Valdera",
            "SDS Empolese Valdarno Valdelsa",
            "Provincia di Pisa",
            "Procura della Repubblica presso il Tribunale di Pisa",
        ],
        &["Associazione DIM", "Arnera Coop. Sociale"],
    ),
    (
        "PT",
        "SdS Valdinievole",
        &["SdS Pistoia", "SdS Valdinievole"],
        &[
            "Associazione Zoè",
            "Diocesi di Pistoia per Casa Conchiglia",
            "CAT Coop. sociale Onlus",
        ],
    ),
    (
        "PO",
        "Comune di Prato",
        &[
            "Provincia di Prato",
            "SDS Pratese",
            "Comune di Prato",
            "Comune di Montemurlo",
            "Comune di Poggio a Caiano",
            "Comune di Carmignano",
            "Comune di Vaiano",
            "Comune di Cantagallo",
            "Comune di Vernio",
        ],
        &[
            "Sarah Società Coop. Sociale Onlus",
            "CAT Coop. sociale Onlus",
        ],
    ),
    (
        "SI",
        "Provincia di Siena",
        &[
            "Provincia di Siena",
            "SdS Senese",
            "SDS Altavaldelsa",
            "Prefettura di Siena",
        ],
        &["Arci comitato provinciale senese"],
    ),
];

/// The date the seed's roles are recorded from: the start of the SATIS project, which
/// continued the Con-trat-To project (2011–2016).
pub const SINCE: &str = "2017-01-01";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_organisation_named_in_a_role_exists_once() {
        let names: Vec<&str> = ORGANISATIONS.iter().map(|o| o.0).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "duplicate organisation");
        let mut referenced: Vec<&str> = REGIONAL_ROLES.iter().map(|r| r.0).collect();
        for (_, coordinator, local, private) in PROVINCES {
            if !coordinator.is_empty() {
                referenced.push(coordinator);
            }
            referenced.extend(local.iter().chain(private.iter()));
        }
        for r in referenced {
            assert!(names.contains(&r), "{r} is not in ORGANISATIONS");
        }
        assert_eq!(PROVINCES.len(), 10);
    }
}
