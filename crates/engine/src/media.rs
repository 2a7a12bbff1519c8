//! Uploaded files (flow backgrounds, source icons), kept under the media directory and
//! served from `/media/public/`.

use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult};
use crate::resource::Upload;

/// Stores an upload under `<media>/<folder>/` with a safe, unique name; returns the stored
/// name relative to the media directory (`flow-backgrounds/ab12cd34-logo.png`).
pub fn store_upload(ctx: &Ctx<'_>, folder: &str, file: &Upload) -> EngineResult<String> {
    let original = file.filename.clone().unwrap_or_else(|| "upload".into());
    let base = original.rsplit(['/', '\\']).next().unwrap_or("upload");
    let safe: String = base.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
    let safe = safe.trim_start_matches('.');
    let name = format!("{}-{}", domain::crypto::random_hex(4), if safe.is_empty() { "upload" } else { safe });
    let dir = ctx.services.media_dir.join(folder);
    std::fs::create_dir_all(&dir).map_err(|e| EngineError::Internal(format!("cannot create {}: {e}", dir.display())))?;
    std::fs::write(dir.join(&name), &file.data).map_err(|e| EngineError::Internal(format!("cannot store upload: {e}")))?;
    Ok(format!("{folder}/{name}"))
}
