//! The demonstration's information materials (issue 27): small leaflets written here as
//! one-page PDFs (the standard Helvetica fonts, Latin-1 text) and, for Arabic, a card drawn as
//! an image, so that `/materiali` has something to download in several languages. Every one
//! says it is demonstration material.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, PaginatorTrait,
};

use crate::news::entities::news_material;
use crate::news::files;

/// A one-page A5 PDF with a bold title and lines of text (characters outside Latin-1 become
/// `?`: the demonstration writes only Latin-script languages this way).
pub fn leaflet_pdf(title: &str, lines: &[&str]) -> Vec<u8> {
    fn text(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for c in s.chars() {
            let b = u32::from(c);
            let byte = if b < 256 { b as u8 } else { b'?' };
            if matches!(byte, b'(' | b')' | b'\\') {
                out.push(b'\\');
            }
            out.push(byte);
        }
        out
    }
    let mut content = b"BT /F1 18 Tf 36 540 Td 22 TL (".to_vec();
    content.extend(text(title));
    content.extend_from_slice(b") Tj /F2 12 Tf 0 -36 Td 17 TL");
    for line in lines {
        content.extend_from_slice(b" (");
        content.extend(text(line));
        content.extend_from_slice(b") ' ");
    }
    content.extend_from_slice(b" ET");
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] \
          /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
        {
            let mut s = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
            s.extend_from_slice(&content);
            s.extend_from_slice(b"\nendstream");
            s
        },
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(o);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// A card drawn as a PNG: the network's colours and a band where a phone number would go.
pub fn card_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(600, 380, |x, y| {
        if y < 70 {
            image::Rgb([0, 102, 204])
        } else if (150..250).contains(&y) && (60..540).contains(&x) {
            image::Rgb([0, 128, 72])
        } else {
            image::Rgb([250, 250, 250])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    match image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png) {
        Ok(()) => out.into_inner(),
        Err(_) => Vec::new(),
    }
}

const NUMBERS_IT: &[&str] = &[
    "Numero Verde Antitratta: 800 290 290",
    "Numero Verde Regionale Toscana: 800 600 500",
    "Da Lyca Mobile e operatori simili: 055 536 56 12",
    "Gratuito, anonimo, 24 ore su 24, con mediatori linguistici.",
    "In pericolo immediato: 112.",
    "",
    "Materiale dimostrativo (SATIS demo).",
];

/// Loads the materials once: six published, one waiting for review.
pub async fn load(
    db: &DatabaseConnection,
    editor: i32,
    reviewer: i32,
) -> Result<(), sea_orm::DbErr> {
    if news_material::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    let en = [
        "Anti-trafficking toll-free number: 800 290 290",
        "Tuscany toll-free number: 800 600 500",
        "From Lyca Mobile and similar operators: 055 536 56 12",
        "Free, anonymous, day and night, with interpreters.",
        "In immediate danger: 112.",
        "",
        "Demonstration material (SATIS demo).",
    ];
    let fr = [
        "Numéro vert anti-traite : 800 290 290",
        "Numéro vert de la Toscane : 800 600 500",
        "Depuis Lyca Mobile : 055 536 56 12",
        "Gratuit, anonyme, jour et nuit, avec des médiateurs.",
        "En danger immédiat : 112.",
        "",
        "Matériel de démonstration (SATIS démo).",
    ];
    let es = [
        "Número gratuito contra la trata: 800 290 290",
        "Número gratuito de Toscana: 800 600 500",
        "Desde Lyca Mobile: 055 536 56 12",
        "Gratuito, anónimo, día y noche, con mediadores.",
        "En peligro inmediato: 112.",
        "",
        "Material de demostración (SATIS demo).",
    ];
    type Material<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        Vec<u8>,
        &'a str,
    );
    let items: Vec<Material> = vec![
        (
            "Sei in pericolo? Chiama il numero verde",
            "Una scheda con i numeri da chiamare, gratuiti e anonimi.",
            "it",
            "victims",
            "prevention",
            leaflet_pdf("Sei in pericolo? Chiamaci.", NUMBERS_IT),
            "published",
        ),
        (
            "Are you in danger? Call us",
            "A card with the numbers to call, free and anonymous.",
            "en",
            "victims",
            "prevention",
            leaflet_pdf("Are you in danger? Call us.", &en),
            "published",
        ),
        (
            "Êtes-vous en danger ? Appelez-nous",
            "Une fiche avec les numéros à appeler, gratuits et anonymes.",
            "fr",
            "victims",
            "prevention",
            leaflet_pdf("Êtes-vous en danger ? Appelez-nous.", &fr),
            "published",
        ),
        (
            "¿Estás en peligro? Llámanos",
            "Una ficha con los números gratuitos y anónimos.",
            "es",
            "victims",
            "prevention",
            leaflet_pdf("¿Estás en peligro? Llámanos.", &es),
            "published",
        ),
        (
            "هل أنت في خطر؟ اتصل بالرقم المجاني",
            "بطاقة بأرقام الهاتف المجانية والسرية (مادة تجريبية).",
            "ar",
            "victims",
            "prevention",
            card_png(),
            "published",
        ),
        (
            "Indicatori di sfruttamento lavorativo: scheda per operatori",
            "I segnali da riconoscere e chi chiamare.",
            "it",
            "operators",
            "training",
            leaflet_pdf(
                "Indicatori di sfruttamento lavorativo",
                &[
                    "Documenti trattenuti dal datore di lavoro.",
                    "Debito per il viaggio o l'alloggio.",
                    "Orari eccessivi, paga molto bassa o assente.",
                    "Alloggio fornito dal datore, controllo degli spostamenti.",
                    "",
                    "Chiamate il Numero Verde Regionale 800 600 500.",
                    "Materiale dimostrativo (SATIS demo).",
                ],
            ),
            "published",
        ),
        (
            "Lavoro regolare: cosa sapere per chi assume",
            "Gli obblighi di chi assume e come segnalare.",
            "it",
            "employers",
            "prevention",
            leaflet_pdf(
                "Lavoro regolare",
                &[
                    "Bozza in revisione.",
                    "Materiale dimostrativo (SATIS demo).",
                ],
            ),
            "in_review",
        ),
    ];
    let now = chrono::Utc::now();
    for (title, description, language, audience, topic, file, state) in items {
        let Ok(prepared) = files::prepare(&file) else {
            continue;
        };
        let published = state == "published";
        news_material::ActiveModel {
            title: Set(title.into()),
            description: Set(description.into()),
            language: Set(language.into()),
            audience: Set(audience.into()),
            topic: Set(topic.into()),
            file_name: Set(files::download_name(title, prepared.extension)),
            content_type: Set(prepared.content_type.into()),
            size: Set(i64::try_from(prepared.bytes.len()).unwrap_or(i64::MAX)),
            file: Set(prepared.bytes),
            state: Set(state.into()),
            published_at: Set(published.then_some(now)),
            author_id: Set(editor),
            reviewer_id: Set(published.then_some(reviewer)),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(0),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_leaflet_is_a_pdf_whose_cross_reference_points_at_its_objects() {
        let pdf = super::leaflet_pdf("Sei (davvero) in pericolo?", &["Chiama: 800 290 290"]);
        assert!(pdf.starts_with(b"%PDF-1.4"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("(Sei \\(davvero\\) in pericolo?) Tj"));
        let start: usize = text
            .split("startxref\n")
            .nth(1)
            .and_then(|s| s.lines().next())
            .and_then(|s| s.parse().ok())
            .unwrap();
        assert!(text[start..].starts_with("xref"));
        for line in text[start..].lines().skip(3).take(6) {
            let offset: usize = line[..10].parse().unwrap();
            assert!(text[offset..].split_once(" 0 obj").is_some());
            assert!(text[offset..].chars().next().unwrap().is_ascii_digit());
        }
    }
}
