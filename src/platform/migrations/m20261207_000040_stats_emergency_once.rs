//! Emergency reception in the report's per-day summaries, and the summaries keyed by province
//! (issue 23, ADR 0004). The figure counts each person using an emergency bed in the period
//! once; for the people with a single emergency stay `stats_day` gains their marginals on the
//! day the stay began and on the day it ended (`stats_several` names the others, read from the
//! records). The summaries then need the stays by the day they ended: an index on it, beside
//! the one on the day they began. The hotline and case figures are now keyed by the province
//! their records count in rather than by organisation, and hold no record of an organisation
//! kept out of statistics.
//!
//! Summaries built before this are keyed the old way and have no emergency rows, so a database
//! holding summaries or emergency stays is marked as not built: the server rebuilds the
//! summaries in the background at its next start (the report counts the records meanwhile).

use sea_orm_migration::prelude::*;

use super::id;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000040_stats_emergency_once"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("ix_placement_ended")
                .table(id("placement"))
                .col(id("emergency"))
                .col(id("until"))
                .col(id("case_id"))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "DELETE FROM stats_summary_state \
                 WHERE EXISTS (SELECT 1 FROM stats_day) \
                 OR EXISTS (SELECT 1 FROM placement WHERE emergency = TRUE)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_placement_ended")
                .table(id("placement"))
                .to_owned(),
        )
        .await
    }
}
