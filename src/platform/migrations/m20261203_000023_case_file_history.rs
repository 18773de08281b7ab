//! The case page becomes a working file (issue 22): a person's attributes and identity can be
//! corrected and a permit renewed or refused, each change kept as history (who, when, which
//! fields; the previous values sealed), and the case lists its projects, referrals, hotline
//! contacts and accompaniments, found through an index on their case; the cases an
//! organisation owns or is shared are found by index too.

use sea_orm_migration::prelude::*;

use super::{id, pk, ts};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000023_case_file_history"
    }
}

const INDEXES: &[(&str, &str, &str)] = &[
    ("ix_project_case", "project", "case_id"),
    ("ix_referral_case", "referral", "case_id"),
    ("ix_contact_case", "hotline_contact", "case_id"),
    ("ix_accompaniment_case", "accompaniment", "case_id"),
    // The API's list of the cases an organisation owns or is shared (issue 23).
    ("ix_share_org", "case_share", "organisation_id"),
    ("ix_permit_change_permit", "permit_change", "permit_id"),
    ("ix_person_change_person", "person_change", "person_id"),
];

fn fk(table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(id(table), id(col))
        .to(id(to), id("id"))
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("permit_change"))
                .col(pk())
                .col(ColumnDef::new(id("permit_id")).integer().not_null())
                .col(ColumnDef::new(id("status")).string_len(40).not_null())
                // The day the decision took effect (entered, never stamped).
                .col(ColumnDef::new(id("decided_on")).date().not_null())
                .col(ColumnDef::new(id("expires_on")).date().null())
                .col(ColumnDef::new(id("by_user")).integer().not_null())
                .col(ts("at"))
                .foreign_key(&mut fk("permit_change", "permit_id", "permit"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("person_change"))
                .col(pk())
                .col(ColumnDef::new(id("person_id")).integer().not_null())
                // The names of the fields changed, comma-separated (never their values).
                .col(ColumnDef::new(id("fields")).text().not_null())
                // The values before the change, sealed; erased with the identity.
                .col(ColumnDef::new(id("previous_enc")).blob().null())
                .col(ColumnDef::new(id("by_user")).integer().not_null())
                .col(ts("at"))
                .foreign_key(&mut fk("person_change", "person_id", "person"))
                .to_owned(),
        )
        .await?;
        for (name, table, column) in INDEXES {
            m.create_index(
                Index::create()
                    .name(*name)
                    .table(id(table))
                    .col(id(column))
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES.iter().take(5) {
            m.drop_index(Index::drop().name(*name).table(id(table)).to_owned())
                .await?;
        }
        for t in ["person_change", "permit_change"] {
            m.drop_table(Table::drop().table(id(t)).to_owned()).await?;
        }
        Ok(())
    }
}
