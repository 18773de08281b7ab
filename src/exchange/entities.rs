//! Storage shapes of data exchange.

/// One historical record, imported from a CTDC-layout file. Codes are those of the CTDC
/// layout, normalised: missing values are `""` (text) or `None` (flags).
pub mod historical {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "historical_record")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        /// SHA-256 of the row's values and its occurrence number in its file: the same file
        /// imported again adds nothing, identical rows in one file are all kept.
        pub row_key: String,
        pub batch: String,
        /// What the importer called the file (`--source`).
        pub source: String,
        /// The CTDC `Datasource` column (case management, hotline…).
        pub datasource: String,
        pub year: i32,
        /// `female`, `male`, `transgender` or `unknown`.
        pub gender: String,
        pub age_broad: String,
        pub majority: String,
        pub majority_at_exploit: String,
        pub majority_entry: String,
        pub citizenship: String,
        pub country_of_exploitation: String,
        /// Comma-separated: `forced_labour`, `sexual`, `other`, `sex_and_labour`,
        /// `forced_marriage`, `forced_military`, `organ_removal`, `slavery`.
        pub forms: String,
        /// Comma-separated forms the source said "no" to (a form in neither list was not
        /// recorded).
        pub forms_no: String,
        pub labour_types: String,
        pub sex_types: String,
        pub means_of_control: String,
        pub recruiter_relations: String,
        pub abduction: Option<bool>,
        pub imported_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
