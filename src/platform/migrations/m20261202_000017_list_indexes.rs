//! Indexes for the lookups every case page, list and the retention sweep make (issue 23):
//! a case's person, and a case's events, consents, permits, placements, shares and phases,
//! were found by scanning whole tables; an organisation's contacts, outings and interviews by
//! time were read through an index on time alone.

use sea_orm_migration::prelude::*;

use super::id;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000017_list_indexes"
    }
}

const INDEXES: &[(&str, &str, &[&str])] = &[
    ("ix_case_person", "case_file", &["person_id"]),
    ("ix_event_case", "case_event", &["case_id", "happened_on"]),
    ("ix_consent_case", "consent", &["case_id"]),
    ("ix_permit_case", "permit", &["case_id"]),
    ("ix_placement_case", "placement", &["case_id"]),
    ("ix_share_case", "case_share", &["case_id"]),
    ("ix_phase_case", "case_phase", &["case_id", "at"]),
    (
        "ix_contact_org_started",
        "hotline_contact",
        &["organisation_id", "started_at", "id"],
    ),
    (
        "ix_outing_org_started",
        "outing",
        &["organisation_id", "started_at", "id"],
    ),
    (
        "ix_interview_org_held",
        "drop_in_interview",
        &["organisation_id", "held_on", "id"],
    ),
    (
        "ix_audit_record",
        "audit_event",
        &["record_kind", "record_id"],
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
