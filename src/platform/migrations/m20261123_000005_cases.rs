//! People and cases: pseudonymous people with their identity apart and encrypted, cases with
//! phases, shares, consents, permits, placements and events (notes, assessments,
//! accompaniments, legal consultations).

use sea_orm_migration::prelude::*;

use super::{id, pk, ts};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000005_cases"
    }
}

fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(id(name)).integer().not_null().to_owned()
}
fn int_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(id(name)).integer().null().to_owned()
}
fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(id(name)).text().not_null().to_owned()
}
fn short(name: &'static str) -> ColumnDef {
    ColumnDef::new(id(name))
        .string_len(40)
        .not_null()
        .to_owned()
}
fn short_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(id(name)).string_len(40).null().to_owned()
}
fn date_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(id(name)).date().null().to_owned()
}
fn blob_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(id(name)).blob().null().to_owned()
}
fn fk(table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(id(table), id(col))
        .to(id(to), id("id"))
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}
fn index(name: &'static str, table: &'static str, col: &'static str) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(id(table))
        .col(id(col))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("person"))
                .col(pk())
                .col(
                    ColumnDef::new(id("code"))
                        .string_len(20)
                        .not_null()
                        .unique_key(),
                )
                .col(short("gender"))
                .col(int_null("birth_year"))
                .col(
                    ColumnDef::new(id("birth_year_estimated"))
                        .boolean()
                        .not_null(),
                )
                .col(ColumnDef::new(id("presumed_minor")).boolean().not_null())
                .col(text("nationalities"))
                .col(text("languages"))
                .col(text("vulnerabilities"))
                .col(int("created_by_org"))
                .col(ts("created_at"))
                .col(
                    ColumnDef::new(id("identity_erased_at"))
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("person_identity"))
                .col(
                    ColumnDef::new(id("person_id"))
                        .integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(id("names_enc")).blob().not_null())
                .col(blob_null("aliases_enc"))
                .col(blob_null("birth_date_enc"))
                .col(blob_null("documents_enc"))
                .col(blob_null("phone_enc"))
                .col(blob_null("address_enc"))
                .col(ColumnDef::new(id("name_index")).string_len(64).null())
                .col(ColumnDef::new(id("phone_index")).string_len(64).null())
                .col(ColumnDef::new(id("document_index")).string_len(64).null())
                .foreign_key(&mut fk("person_identity", "person_id", "person"))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_identity_name", "name_index"),
            ("ix_identity_phone", "phone_index"),
            ("ix_identity_document", "document_index"),
        ] {
            m.create_index(index(name, "person_identity", col)).await?;
        }

        m.create_table(
            Table::create()
                .table(id("case_file"))
                .col(pk())
                .col(int("person_id"))
                .col(int("owner_org"))
                .col(short("phase"))
                .col(short_null("closure_reason"))
                .col(short_null("trafficking_status"))
                .col(int_null("status_assessed_by"))
                .col(text("exploitation_forms"))
                .col(short_null("labour_sector"))
                .col(text("means_of_control"))
                .col(text("recruitment"))
                .col(text("route"))
                .col(text("transit_countries"))
                .col(text("places"))
                .col(short_null("legal_path"))
                .col(ts("opened_at"))
                .col(
                    ColumnDef::new(id("closed_at"))
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(date_null("follow_up_due"))
                .col(ts("last_activity_at"))
                .col(int("version"))
                .foreign_key(&mut fk("case_file", "person_id", "person"))
                .foreign_key(&mut fk("case_file", "owner_org", "organisation"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_case_owner", "case_file", "owner_org"))
            .await?;

        m.create_table(
            Table::create()
                .table(id("case_phase"))
                .col(pk())
                .col(int("case_id"))
                .col(short_null("from_phase"))
                .col(short("to_phase"))
                .col(short_null("reason"))
                .col(ts("at"))
                .col(int("by_user"))
                .foreign_key(&mut fk("case_phase", "case_id", "case_file"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("case_share"))
                .col(pk())
                .col(int("case_id"))
                .col(int("organisation_id"))
                .col(ts("since"))
                .foreign_key(&mut fk("case_share", "case_id", "case_file"))
                .foreign_key(&mut fk("case_share", "organisation_id", "organisation"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("consent"))
                .col(pk())
                .col(int("case_id"))
                .col(short("purpose"))
                .col(int_null("organisation_id"))
                .col(ColumnDef::new(id("given_on")).date().not_null())
                .col(date_null("expires_on"))
                .col(date_null("withdrawn_on"))
                .foreign_key(&mut fk("consent", "case_id", "case_file"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("permit"))
                .col(pk())
                .col(int("case_id"))
                .col(short("kind"))
                .col(short("status"))
                .col(date_null("applied_on"))
                .col(date_null("issued_on"))
                .col(date_null("expires_on"))
                .col(text("office"))
                .foreign_key(&mut fk("permit", "case_id", "case_file"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("placement"))
                .col(pk())
                .col(int("case_id"))
                .col(int("service_id"))
                .col(short("bed_kind"))
                .col(ColumnDef::new(id("emergency")).boolean().not_null())
                .col(ColumnDef::new(id("since")).date().not_null())
                .col(date_null("until"))
                .foreign_key(&mut fk("placement", "case_id", "case_file"))
                .foreign_key(&mut fk("placement", "service_id", "network_service"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_placement_service", "placement", "service_id"))
            .await?;
        m.create_table(
            Table::create()
                .table(id("case_event"))
                .col(pk())
                .col(int("case_id"))
                .col(short("kind"))
                .col(ColumnDef::new(id("happened_on")).date().not_null())
                .col(blob_null("text_enc"))
                .col(int("by_user"))
                .foreign_key(&mut fk("case_event", "case_id", "case_file"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "case_event",
            "placement",
            "permit",
            "consent",
            "case_share",
            "case_phase",
            "case_file",
            "person_identity",
            "person",
        ] {
            m.drop_table(Table::drop().table(id(t)).to_owned()).await?;
        }
        Ok(())
    }
}
