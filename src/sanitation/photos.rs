//! Photos of the sanitation inspections (`sanitation_photos`): one taken at an inspection, or sent
//! with a district's appeal as its evidence. They are kept in the database as directive
//! attachments are, at most [`MAX_PHOTO`] bytes, and only images (known by their first bytes, not
//! by what the client says they are). A photo is shown to those who may see its inspection.

use crate::db::{Conn, Db, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::Scope;

/// A photo is at most 5 MB: a phone's picture, compressed.
pub const MAX_PHOTO: usize = 5 * 1024 * 1024;

/// The body a form or call carrying a photo may send: room for a phone's uncompressed picture
/// (12 MB and more), so that one over [`MAX_PHOTO`] is refused at its field, not as a bare 413.
pub const PHOTO_FORM_LIMIT: usize = 16 * 1024 * 1024;

/// The same for a JSON call, the photo in base64 (4 bytes for 3).
pub const PHOTO_JSON_LIMIT: usize = PHOTO_FORM_LIMIT / 3 * 4 + 1024 * 1024;

/// A photo checked to be an image within the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub content_type: &'static str,
    pub data: Vec<u8>,
}

/// What the photo is attached to.
#[derive(Debug, Clone, Copy)]
pub enum Of {
    Inspection(i64),
    Appeal(i64),
}

impl Photo {
    /// Checks `data` sent in `field`: not over the limit, and a JPEG, PNG, WebP or HEIC image.
    pub fn checked(field: &str, data: Vec<u8>) -> AppResult<Photo> {
        if data.len() > MAX_PHOTO {
            return Err(AppError::invalid(field, "photo_too_large", "照片不能超过 5 MB,请压缩后重新上传"));
        }
        let content_type = image_type(&data).ok_or_else(|| AppError::invalid(field, "photo_not_image", "上传的文件不是照片(应为 JPEG、PNG、WebP 或 HEIC 图片)"))?;
        Ok(Photo { content_type, data })
    }

    /// The photo's SHA-256 in hex: what a retry's fingerprint compares.
    pub fn digest(&self) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(&self.data).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The image type of `data` by its signature, if it is one of those phones take.
fn image_type(data: &[u8]) -> Option<&'static str> {
    match data {
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n', ..] => Some("image/png"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        [_, _, _, _, b'f', b't', b'y', b'p', brand @ ..] if [b"heic", b"heix", b"mif1", b"heif"].iter().any(|b| brand.starts_with(*b)) => Some("image/heic"),
        _ => None,
    }
}

/// Stores `photo` on `conn`, inside the transaction that writes what it belongs to.
pub async fn insert<'a>(conn: impl Into<Conn<'a>>, of: Of, photo: &Photo) -> sqlx::Result<i64> {
    let (inspection, appeal) = match of {
        Of::Inspection(id) => (Some(id), None),
        Of::Appeal(id) => (None, Some(id)),
    };
    crate::on_conn!(conn, c => sqlx::query_scalar::<DB, i64>(
        "insert into sanitation_photos (inspection_id, appeal_id, content_type, size, data, created_at) values ($1, $2, $3, $4, $5, $6) returning id")
        .bind(inspection).bind(appeal).bind(photo.content_type).bind(photo.data.len() as i64).bind(&photo.data).bind(now_micros())
        .fetch_one(&mut *c).await)
}

/// A photo's type and bytes, when the inspection it shows (or whose appeal it came with) is in
/// `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<(String, Vec<u8>)>> {
    let (low, high) = scope.bounds();
    on_db!(db, pool => sqlx::query_as::<DB, (String, Vec<u8>)>(
        "select p.content_type, p.data from sanitation_photos p \
         left join sanitation_appeals a on a.id = p.appeal_id \
         join sanitation_inspections i on i.id = coalesce(p.inspection_id, a.inspection_id) \
         where p.id = $1 and i.org_code >= $2 and i.org_code < $3")
        .bind(id).bind(low).bind(high).fetch_optional(pool).await)
}

/// The photos of inspections among `ids` (and of their appeals), as `(inspection id, photo id)`.
pub async fn of_inspections(db: &Db, ids: &[i64]) -> sqlx::Result<Vec<(i64, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let places = crate::db::placeholders(ids.len());
    let sql = format!(
        "select p.inspection_id, p.id from sanitation_photos p where p.inspection_id in ({places}) \
         union all select a.inspection_id, p.id from sanitation_photos p join sanitation_appeals a on a.id = p.appeal_id where a.inspection_id in ({places}) order by 2"
    );
    on_db!(db, pool => {
        let mut q = sqlx::query_as::<DB, (i64, i64)>(sqlx::AssertSqlSafe(&*sql));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(pool).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_images_within_five_megabytes_are_photos() {
        assert_eq!(Photo::checked("photo", vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).unwrap().content_type, "image/jpeg");
        assert_eq!(Photo::checked("photo", b"\x89PNG\r\n\x1a\n....".to_vec()).unwrap().content_type, "image/png");
        assert_eq!(Photo::checked("photo", b"\0\0\0\x18ftypheic\0\0".to_vec()).unwrap().content_type, "image/heic");
        let refused = |data: Vec<u8>| match Photo::checked("photo", data) {
            Err(AppError::Invalid(errors)) => errors[0].code.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(refused(b"%PDF-1.7".to_vec()), "photo_not_image");
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(MAX_PHOTO + 1, 0);
        assert_eq!(refused(big), "photo_too_large");
    }
}
