//! Covering indexes for the activity report's set-based queries (stats/queries.rs): each
//! figure over ten years of national data is then read from an index alone.

use sea_orm_migration::prelude::*;

use super::id;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000013_report_indexes"
    }
}

const INDEXES: &[(&str, &str, &[&str])] = &[
    (
        "ix_report_hotline",
        "hotline_contact",
        &[
            "started_at",
            "relevance",
            "previous_contact_id",
            "province",
            "exploitation_forms",
        ],
    ),
    (
        "ix_report_outing",
        "outing",
        &["started_at", "service_id", "people_met", "id"],
    ),
    (
        "ix_report_outing_count",
        "outing_count",
        &["outing_id", "dimension", "value", "count"],
    ),
    (
        "ix_report_phase",
        "case_phase",
        &["to_phase", "at", "case_id"],
    ),
    (
        "ix_report_placement",
        "placement",
        &["since", "emergency", "case_id"],
    ),
    (
        "ix_report_interview",
        "drop_in_interview",
        &["held_on", "service_id", "outcome"],
    ),
    ("ix_report_accompaniment", "accompaniment", &["happened_on"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, columns) in INDEXES {
            let mut ix = Index::create();
            ix.name(*name).table(id(table));
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
