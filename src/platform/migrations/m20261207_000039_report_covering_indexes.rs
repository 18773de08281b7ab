//! Covering indexes for the report's figures about people (issue 23). Emergency reception and
//! accompaniments read each person once from the records: some 10,000 and 7,000 rows at
//! national scale, each joined to its case and person by key. The case and person rows are
//! wide (sealed free text, vulnerabilities), so each join read a table page for a few short
//! columns; with these indexes SQLite answers the joins, and the stays and accompaniments
//! themselves, from the indexes alone (the emergency query took half the time in the
//! `sqlite3` shell on the national file). PostgreSQL can use them for index-only scans once
//! its visibility map is set.

use sea_orm_migration::prelude::*;

use super::id;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000039_report_covering_indexes"
    }
}

const INDEXES: &[(&str, &str, &[&str])] = &[
    (
        "ix_person_report",
        "person",
        &["id", "gender", "nationalities", "birth_year"],
    ),
    (
        "ix_case_report",
        "case_file",
        &[
            "id",
            "person_id",
            "owner_org",
            "exploitation_forms",
            "labour_sector",
        ],
    ),
    (
        "ix_placement_report",
        "placement",
        &["emergency", "since", "until", "case_id", "service_id"],
    ),
    (
        "ix_accompaniment_report",
        "accompaniment",
        &[
            "happened_on",
            "service_kind",
            "outcome",
            "organisation_id",
            "contact_id",
            "hotline_contact_id",
            "case_id",
        ],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, columns) in INDEXES {
            let mut ix = Index::create();
            ix.name(*name).table(id(table)).if_not_exists();
            for c in *columns {
                ix.col(id(c));
            }
            m.create_index(ix.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            m.drop_index(Index::drop().name(*name).table(id(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
