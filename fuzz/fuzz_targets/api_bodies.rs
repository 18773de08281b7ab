#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| satis::fuzzing::api_bodies(data));
