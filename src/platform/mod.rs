//! The thin platform every area builds on: configuration, database, settings, i18n, web shell.

pub mod config;
pub mod db;
pub mod i18n;
pub mod migrations;
pub mod settings;
pub mod web;
pub mod crypto;
pub mod policy;
pub mod audit;
