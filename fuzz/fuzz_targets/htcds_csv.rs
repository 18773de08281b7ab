#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| satis::fuzzing::htcds_csv_file(data));
