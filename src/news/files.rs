//! What an uploaded leaflet or card becomes before it is stored (issue 27), as plain functions
//! with their unit tests: a PDF is read and written again without what describes its making
//! (the document information — author, the program and the computer's user name often end up
//! there —, XMP metadata, applications' private data, earlier revisions kept by incremental
//! saves), so that a leaflet published on the public site does not name the worker who wrote
//! it; a PNG or JPEG image is decoded and written again, at most [`MAX_SIDE`] pixels on its
//! longer side, so that nothing but its pixels survives (no EXIF, hence no GPS position of
//! where a photo was taken, no camera serial, no comments); anything else, an unreadable or
//! password-protected PDF, an empty file or one over [`MAX_BYTES`] is refused with the message
//! key of why. Images placed inside a PDF are kept as they are (their own EXIF included):
//! upload a photo as an image rather than inside a PDF.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

/// The largest file an editor may upload (the server refuses bigger bodies before reading them).
pub const MAX_BYTES: usize = crate::platform::web::form::MAX_UPLOAD_BYTES;
/// The longer side of an image as stored (large enough for a printed A5 leaflet on screen).
pub const MAX_SIDE: u32 = 2000;
/// Images whose sides exceed this are refused before their pixels are allocated.
const MAX_DECODED_SIDE: u32 = 12_000;

/// A file ready to be stored.
#[derive(Debug, PartialEq, Eq)]
pub struct Prepared {
    pub content_type: &'static str,
    /// The extension the stored file's name gets (`pdf`, `png`, `jpg`).
    pub extension: &'static str,
    pub bytes: Vec<u8>,
}

/// Entries that describe how a PDF was made rather than what it shows: the XMP metadata (of
/// the document, a page or an image), applications' private data and its date.
const PDF_MAKING: [&[u8]; 3] = [b"Metadata", b"PieceInfo", b"LastModified"];

/// A PDF read and written again without its document information (the trailer's `Info`),
/// without [`PDF_MAKING`] anywhere, and with only the objects its pages still use (what an
/// incremental save left of earlier revisions is gone). A file the reader cannot follow, and
/// one protected by a password (it cannot be cleaned, nor read by everyone), are refused.
fn clean_pdf(bytes: &[u8]) -> Result<Vec<u8>, &'static str> {
    // A malformed file must not take the request down with it, whatever the reader does.
    std::panic::catch_unwind(|| {
        let mut doc = lopdf::Document::load_mem(bytes).map_err(|_| {
            // One that cannot be opened without its password says so in its trailer.
            if bytes.windows(8).any(|w| w == b"/Encrypt") {
                "material-error-pdf-protected"
            } else {
                "material-error-pdf-broken"
            }
        })?;
        if doc.is_encrypted() || doc.was_encrypted() {
            return Err("material-error-pdf-protected");
        }
        doc.trailer.remove(b"Info");
        for object in doc.objects.values_mut() {
            let dict = match object {
                lopdf::Object::Dictionary(d) => d,
                lopdf::Object::Stream(s) => &mut s.dict,
                _ => continue,
            };
            for key in PDF_MAKING {
                dict.remove(key);
            }
        }
        doc.prune_objects();
        if doc.get_pages().is_empty() {
            return Err("material-error-pdf-broken");
        }
        let mut out = Vec::new();
        doc.save_to(&mut out)
            .map_err(|_| "material-error-pdf-broken")?;
        Ok(out)
    })
    .unwrap_or(Err("material-error-pdf-broken"))
}

/// Checks and prepares an upload; `Err` is a message key.
pub fn prepare(bytes: &[u8]) -> Result<Prepared, &'static str> {
    if bytes.is_empty() {
        return Err("material-error-empty");
    }
    if bytes.len() > MAX_BYTES {
        return Err("material-error-too-large");
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok(Prepared {
            content_type: "application/pdf",
            extension: "pdf",
            bytes: clean_pdf(bytes)?,
        });
    }
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Png | ImageFormat::Jpeg)) => f,
        _ => return Err("material-error-type"),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let mut img = reader.decode().map_err(|_| "material-error-broken")?;
    if img.width() > MAX_SIDE || img.height() > MAX_SIDE {
        img = img.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Triangle);
    }
    let mut out = Cursor::new(Vec::new());
    let (content_type, extension) = match format {
        ImageFormat::Png => {
            img.write_to(&mut out, ImageFormat::Png)
                .map_err(|_| "material-error-broken")?;
            ("image/png", "png")
        }
        _ => {
            // JPEG has no alpha channel: flattened to RGB first.
            let rgb = image::DynamicImage::ImageRgb8(img.to_rgb8());
            let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
            encoder
                .encode_image(&rgb)
                .map_err(|_| "material-error-broken")?;
            ("image/jpeg", "jpg")
        }
    };
    Ok(Prepared {
        content_type,
        extension,
        bytes: out.into_inner(),
    })
}

/// The name a download gets: the title's letters and digits (ASCII, dashes between words),
/// and the file's extension; never a path, a quote or a control character.
pub fn download_name(title: &str, extension: &str) -> String {
    let mut name = String::new();
    for c in title.chars() {
        let c = match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
        if name.len() >= 60 {
            break;
        }
    }
    let name = name.trim_end_matches('-');
    let name = if name.is_empty() { "materiale" } else { name };
    format!("{name}.{extension}")
}

/// A size as people read it: "850 KB", "1,2 MB" (Italian decimal comma).
pub fn human_size(bytes: i64, decimal_comma: bool) -> String {
    let b = bytes.max(0) as f64;
    let text = if b < 1024.0 * 1024.0 {
        format!("{} KB", (b / 1024.0).ceil().max(1.0))
    } else {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    };
    if decimal_comma {
        text.replace('.', ",")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, ImageFormat::Jpeg)
            .unwrap();
        out.into_inner()
    }

    /// A JPEG with an EXIF segment holding a GPS position, as a phone writes it.
    fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
        let plain = jpeg(w, h);
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(
            b"MM\0*GPSLatitude 43.7696 N GPSLongitude 11.2558 E SerialNumber X123",
        );
        let len = u16::try_from(payload.len() + 2).unwrap();
        let mut out = plain[..2].to_vec(); // SOI
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&payload);
        out.extend_from_slice(&plain[2..]);
        out
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_photo_loses_its_location_and_keeps_its_pixels() {
        let sent = jpeg_with_exif(64, 48);
        assert!(contains(&sent, b"GPSLatitude"));
        let p = prepare(&sent).unwrap();
        assert_eq!((p.content_type, p.extension), ("image/jpeg", "jpg"));
        assert!(!contains(&p.bytes, b"GPSLatitude"));
        assert!(!contains(&p.bytes, b"Exif"));
        assert!(!contains(&p.bytes, b"SerialNumber"));
        let back = image::load_from_memory(&p.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (64, 48));
    }

    #[test]
    fn large_images_are_scaled_down_keeping_their_shape() {
        let p = prepare(&jpeg(3000, 1500)).unwrap();
        let back = image::load_from_memory(&p.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (2000, 1000));
        let png = {
            let img = image::RgbaImage::from_pixel(10, 10, image::Rgba([1, 2, 3, 128]));
            let mut out = Cursor::new(Vec::new());
            image::DynamicImage::ImageRgba8(img)
                .write_to(&mut out, ImageFormat::Png)
                .unwrap();
            out.into_inner()
        };
        let p = prepare(&png).unwrap();
        assert_eq!(p.content_type, "image/png");
        assert_eq!(image::load_from_memory(&p.bytes).unwrap().width(), 10);
    }

    /// The demonstration's leaflet, as an office program would save it: the author and the
    /// file's path in the document information, the author again in XMP metadata.
    fn leaflet_with_its_making() -> Vec<u8> {
        use lopdf::{Object, Stream, dictionary};
        let leaflet = crate::demo_materials::leaflet_pdf("Sei in pericolo?", &["Chiamaci."]);
        let mut doc = lopdf::Document::load_mem(&leaflet).unwrap();
        let info = doc.add_object(dictionary! {
            "Author" => Object::string_literal("Maria Rossi"),
            "Creator" => Object::string_literal("C:\\Users\\mrossi\\volantino.docx"),
        });
        doc.trailer.set("Info", info);
        let xmp = doc.add_object(Stream::new(
            dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
            b"<x:xmpmeta><dc:creator>Maria Rossi</dc:creator></x:xmpmeta>".to_vec(),
        ));
        doc.catalog_mut().unwrap().set("Metadata", xmp);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    fn page_contents(pdf: &[u8]) -> Vec<Vec<u8>> {
        let doc = lopdf::Document::load_mem(pdf).unwrap();
        doc.get_pages()
            .values()
            .map(|id| doc.get_page_content(*id))
            .collect()
    }

    #[test]
    fn a_pdf_loses_who_made_it_and_keeps_its_pages() {
        let sent = leaflet_with_its_making();
        assert!(contains(&sent, b"Maria Rossi") && contains(&sent, b"mrossi"));
        let p = prepare(&sent).unwrap();
        assert_eq!((p.content_type, p.extension), ("application/pdf", "pdf"));
        assert!(!contains(&p.bytes, b"Maria Rossi"), "the author is gone");
        assert!(!contains(&p.bytes, b"mrossi"), "the file's path is gone");
        assert!(!contains(&p.bytes, b"xmpmeta"), "the XMP metadata is gone");
        assert_eq!(page_contents(&p.bytes), page_contents(&sent));
        // The demonstration's own leaflets pass as they are drawn.
        let plain = crate::demo_materials::leaflet_pdf("Are you in danger?", &["Call us."]);
        assert_eq!(
            page_contents(&prepare(&plain).unwrap().bytes),
            page_contents(&plain)
        );
    }

    #[test]
    fn a_pdf_saved_over_a_draft_keeps_only_what_it_shows_now() {
        // A draft signed by its author, then its text replaced by an incremental save (object 6,
        // the page's content, written again after the first revision): a reader shows the
        // second text, but the first is still in the file.
        let draft = crate::demo_materials::leaflet_pdf("Bozza di Maria Rossi", &["Da rivedere."]);
        let text = std::str::from_utf8(&draft).unwrap();
        let prev: usize = text
            .rsplit_once("startxref\n")
            .and_then(|(_, tail)| tail.lines().next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        let content = b"BT /F1 20 Tf 40 540 Td (Sei in pericolo?) Tj ET";
        let mut sent = draft.clone();
        let at = sent.len();
        sent.extend_from_slice(
            format!("6 0 obj\n<< /Length {} >>\nstream\n", content.len()).as_bytes(),
        );
        sent.extend_from_slice(content);
        sent.extend_from_slice(b"\nendstream\nendobj\n");
        let xref = sent.len();
        sent.extend_from_slice(
            format!(
                "xref\n0 1\n0000000000 65535 f \n6 1\n{at:010} 00000 n \n\
                 trailer\n<< /Size 7 /Root 1 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n"
            )
            .as_bytes(),
        );
        assert!(contains(&sent, b"Maria Rossi"));
        let shown = page_contents(&sent);
        assert!(
            shown.len() == 1 && shown[0].starts_with(content),
            "{shown:?}"
        );
        let p = prepare(&sent).unwrap();
        assert!(!contains(&p.bytes, b"Maria Rossi"), "the draft is gone");
        assert_eq!(page_contents(&p.bytes), shown);
    }

    #[test]
    fn a_pdf_protected_by_a_password_is_refused_as_such() {
        for user_password in ["", "segreto"] {
            let leaflet = crate::demo_materials::leaflet_pdf("Sei in pericolo?", &["Chiamaci."]);
            let mut doc = lopdf::Document::load_mem(&leaflet).unwrap();
            doc.trailer.set(
                "ID",
                lopdf::Object::Array(vec![
                    lopdf::Object::string_literal("0123456789abcdef"),
                    lopdf::Object::string_literal("0123456789abcdef"),
                ]),
            );
            let state = lopdf::EncryptionState::try_from(lopdf::EncryptionVersion::V2 {
                document: &doc,
                owner_password: "proprietaria",
                user_password,
                key_length: 128,
                permissions: lopdf::Permissions::all(),
            })
            .unwrap();
            doc.encrypt(&state).unwrap();
            let mut sent = Vec::new();
            doc.save_to(&mut sent).unwrap();
            assert_eq!(
                prepare(&sent),
                Err("material-error-pdf-protected"),
                "user password {user_password:?}"
            );
        }
    }

    #[test]
    fn pdfs_pass_and_anything_else_is_refused_with_its_reason() {
        let pdf = crate::demo_materials::leaflet_pdf("Sei in pericolo?", &[]);
        assert_eq!(prepare(&pdf).unwrap().content_type, "application/pdf");
        assert_eq!(
            prepare(b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"),
            Err("material-error-pdf-broken")
        );
        assert_eq!(
            prepare(b"%PDF-1.4\n\x00\xff garbage"),
            Err("material-error-pdf-broken")
        );
        assert_eq!(prepare(b""), Err("material-error-empty"));
        assert_eq!(
            prepare(b"<script>alert(1)</script>"),
            Err("material-error-type")
        );
        assert_eq!(
            prepare(b"GIF89a\x01\x00\x01\x00"),
            Err("material-error-type")
        );
        // A JPEG's signature with nothing decodable behind it.
        assert_eq!(
            prepare(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1]),
            Err("material-error-broken")
        );
        let mut big = b"%PDF-1.4\n".to_vec();
        big.resize(MAX_BYTES + 1, b' ');
        assert_eq!(prepare(&big), Err("material-error-too-large"));
    }

    #[test]
    fn download_names_are_plain() {
        assert_eq!(
            download_name("Sei in pericolo? Chiama!", "pdf"),
            "sei-in-pericolo-chiama.pdf"
        );
        assert_eq!(download_name("../../etc/passwd", "png"), "etc-passwd.png");
        assert_eq!(download_name("\"; rm -rf", "jpg"), "rm-rf.jpg");
        assert_eq!(download_name("هل أنت في خطر", "pdf"), "materiale.pdf");
        assert_eq!(download_name("Perché è così", "pdf"), "perche-e-cosi.pdf");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(10, true), "1 KB");
        assert_eq!(human_size(850 * 1024, true), "850 KB");
        assert_eq!(human_size(1_258_291, true), "1,2 MB");
        assert_eq!(human_size(1_258_291, false), "1.2 MB");
    }
}
