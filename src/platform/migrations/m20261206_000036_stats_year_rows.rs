//! Year rows of the report's per-day summaries (issue 23): `stats_day` gains `span = 'y'`
//! rows rolled up from the month rows. Summaries built before them have none, so a database
//! that has month rows is marked as not built: the server rebuilds them in the background at
//! its next start (the report counts the records meanwhile), as for a database that never had
//! them. A database without any (new, or without records) stays built.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000036_stats_year_rows"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "DELETE FROM stats_summary_state \
                 WHERE EXISTS (SELECT 1 FROM stats_day WHERE span = 'm')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
