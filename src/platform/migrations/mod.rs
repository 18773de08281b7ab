//! Schema migrations, written once in Rust and rendered by sea-query for SQLite and PostgreSQL.
//! Each area adds its own migration file here, named `mYYYYMMDD_NNNNNN_<area>.rs`, and appends it
//! to [`Migrator::migrations`]. Landed migrations are never edited: add a new one.

use sea_orm_migration::prelude::*;

mod m20261123_000001_platform;
pub(crate) mod m20261123_000002_identity;
mod m20261123_000003_network;
mod m20261123_000004_network_seed;
mod m20261123_000005_cases;
mod m20261123_000006_hotline;
mod m20261123_000007_interviews;
mod m20261123_000008_reports;
mod m20261123_000009_projects;
mod m20261129_000010_outreach;
mod m20261129_000011_referrals;
mod m20261129_000012_exchange;
mod m20261129_000013_report_indexes;
mod m20261129_000014_tally_period;
mod m20261129_000015_api;
mod m20261202_000016_security;
mod m20261202_000017_list_indexes;
mod m20261202_000018_effective_dates;
mod m20261202_000019_situations;
mod m20261202_000020_test_organisations;
mod m20261202_000021_hotline_accompaniments;
mod m20261203_000022_mediator_accounts;
mod m20261203_000023_case_file_history;
mod m20261204_000024_list_indexes;
mod m20261204_000025_job_lease;
mod m20261204_000026_shared_throttles;
mod m20261204_000027_reminder_marks;
mod m20261204_000028_stats_day;
mod m20261204_000029_mail;
mod m20261205_000030_webhooks;
mod m20261205_000031_linkage_keys;
mod m20261205_000032_news;
mod m20261205_000033_materials_newsletter;
mod m20261205_000034_news_image;
mod m20261205_000035_person_link;
mod m20261206_000036_stats_year_rows;
mod m20261206_000037_registry_version;
mod m20261207_000038_stats_people_once;
mod m20261207_000039_report_covering_indexes;
mod m20261207_000040_stats_emergency_once;
pub mod network_seed;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_platform::Migration),
            Box::new(m20261123_000002_identity::Migration),
            Box::new(m20261123_000003_network::Migration),
            Box::new(m20261123_000004_network_seed::Migration),
            Box::new(m20261123_000005_cases::Migration),
            Box::new(m20261123_000006_hotline::Migration),
            Box::new(m20261123_000007_interviews::Migration),
            Box::new(m20261123_000008_reports::Migration),
            Box::new(m20261123_000009_projects::Migration),
            Box::new(m20261129_000010_outreach::Migration),
            Box::new(m20261129_000011_referrals::Migration),
            Box::new(m20261129_000012_exchange::Migration),
            Box::new(m20261129_000013_report_indexes::Migration),
            Box::new(m20261129_000014_tally_period::Migration),
            Box::new(m20261129_000015_api::Migration),
            Box::new(m20261202_000016_security::Migration),
            Box::new(m20261202_000017_list_indexes::Migration),
            Box::new(m20261202_000018_effective_dates::Migration),
            Box::new(m20261202_000019_situations::Migration),
            Box::new(m20261202_000020_test_organisations::Migration),
            Box::new(m20261202_000021_hotline_accompaniments::Migration),
            Box::new(m20261203_000022_mediator_accounts::Migration),
            Box::new(m20261203_000023_case_file_history::Migration),
            Box::new(m20261204_000024_list_indexes::Migration),
            Box::new(m20261204_000025_job_lease::Migration),
            Box::new(m20261204_000026_shared_throttles::Migration),
            Box::new(m20261204_000027_reminder_marks::Migration),
            Box::new(m20261204_000028_stats_day::Migration),
            Box::new(m20261204_000029_mail::Migration),
            Box::new(m20261205_000030_webhooks::Migration),
            Box::new(m20261205_000031_linkage_keys::Migration),
            Box::new(m20261205_000032_news::Migration),
            Box::new(m20261205_000033_materials_newsletter::Migration),
            Box::new(m20261205_000034_news_image::Migration),
            Box::new(m20261205_000035_person_link::Migration),
            Box::new(m20261206_000036_stats_year_rows::Migration),
            Box::new(m20261206_000037_registry_version::Migration),
            Box::new(m20261207_000038_stats_people_once::Migration),
            Box::new(m20261207_000039_report_covering_indexes::Migration),
            Box::new(m20261207_000040_stats_emergency_once::Migration),
        ]
    }
}

/// An identifier for a table or column name.
pub(crate) fn id(name: &'static str) -> Alias {
    Alias::new(name)
}

// Column helpers shared by the migrations. Landed migrations call them, so what they render must
// never change: a different column shape gets a new helper.

/// The integer surrogate key every table has, `id`.
pub(crate) fn pk() -> ColumnDef {
    ColumnDef::new(id("id"))
        .integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

/// A required timestamp with time zone.
pub(crate) fn ts(name: &'static str) -> ColumnDef {
    ColumnDef::new(id(name))
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

/// An optional timestamp with time zone.
pub(crate) fn ts_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(id(name))
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}
