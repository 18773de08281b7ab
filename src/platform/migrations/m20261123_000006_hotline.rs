//! The regional hotline: contacts, mediator requests, emergency activations, shift notes.

use sea_orm_migration::prelude::*;

use super::{id, pk};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000006_hotline"
    }
}

fn col(name: &'static str) -> ColumnDef {
    ColumnDef::new(id(name))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("hotline_contact"))
                .col(pk())
                .col(col("organisation_id").integer().not_null())
                .col(col("operator_id").integer().not_null())
                .col(col("channel").string_len(40).not_null())
                .col(col("started_at").timestamp_with_time_zone().not_null())
                .col(col("duration_minutes").integer().not_null())
                .col(col("caller_kind").string_len(40).null())
                .col(col("language").string_len(8).null())
                .col(col("mediator_used").boolean().not_null())
                .col(col("relevance").string_len(20).not_null())
                .col(col("previous_contact_id").integer().null())
                .col(col("caller_ref").string_len(40).null())
                .col(col("phone_index").string_len(64).null())
                .col(col("reasons").text().not_null())
                .col(col("exploitation_forms").text().not_null())
                .col(col("labour_sector").string_len(40).null())
                .col(col("province").string_len(2).null())
                .col(col("municipality").string_len(100).not_null())
                .col(col("outcomes").text().not_null())
                .col(col("notes_enc").blob().null())
                .col(col("case_id").integer().null())
                .col(col("version").integer().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(id("hotline_contact"), id("organisation_id"))
                        .to(id("organisation"), id("id")),
                )
                .to_owned(),
        )
        .await?;
        for (name, c) in [
            ("ix_contact_started", "started_at"),
            ("ix_contact_phone", "phone_index"),
            ("ix_contact_ref", "caller_ref"),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(id("hotline_contact"))
                    .col(id(c))
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(id("mediator_request"))
                .col(pk())
                .col(col("organisation_id").integer().not_null())
                .col(col("contact_id").integer().null())
                .col(col("language").string_len(8).not_null())
                .col(col("place").string_len(200).not_null())
                .col(col("needed_at").timestamp_with_time_zone().not_null())
                .col(col("requester").string_len(200).not_null())
                .col(col("mediator").string_len(200).not_null())
                .col(col("status").string_len(20).not_null())
                .col(col("outcome").text().not_null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("emergency_activation"))
                .col(pk())
                .col(col("organisation_id").integer().not_null())
                .col(col("contact_id").integer().null())
                .col(col("started_at").timestamp_with_time_zone().not_null())
                .col(col("danger").text().not_null())
                .col(col("steps").text().not_null())
                .col(col("service_id").integer().null())
                .col(col("handed_over_to").integer().null())
                .col(col("closed_at").timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("shift_note"))
                .col(pk())
                .col(col("organisation_id").integer().not_null())
                .col(col("author_id").integer().not_null())
                .col(col("written_at").timestamp_with_time_zone().not_null())
                .col(col("text_enc").blob().not_null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "shift_note",
            "emergency_activation",
            "mediator_request",
            "hotline_contact",
        ] {
            m.drop_table(Table::drop().table(id(t)).to_owned()).await?;
        }
        Ok(())
    }
}
