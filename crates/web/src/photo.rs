//! Notice photos. A phone photo carries the camera, the time and often the GPS position of
//! where it was taken (the station, or worse); a public notice must not. The upload is
//! decoded to pixels and encoded again, so nothing but the picture survives, and a
//! thumbnail is made for the lists.

use axum::response::{IntoResponse, Response};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use std::io::Cursor;

/// Longest side of the stored photo and of the thumbnail, in pixels.
const FULL: u32 = 1200;
const THUMB: u32 = 240;

/// Largest upload accepted (a phone photo is 2–6 MB).
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

/// Decoding may take a few hundred megabytes; at most this many at once.
pub static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Re-encodes an uploaded JPEG or PNG: (photo, thumbnail), both JPEG without metadata.
/// Errors are stable codes for the form.
pub fn prepare(bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>), &'static str> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| "photo_invalid")?;
    // A small file can claim enormous dimensions (a decompression bomb): cap what decoding
    // may allocate.
    let mut limits = Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    // The camera's orientation is metadata too: apply it to the pixels before it is dropped,
    // or a portrait photo shows on its side.
    let mut decoder = reader.into_decoder().map_err(|_| "photo_invalid")?;
    let orientation = decoder.orientation().map_err(|_| "photo_invalid")?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| "photo_invalid")?;
    img.apply_orientation(orientation);
    Ok((encode(&shrink(&img, FULL))?, encode(&shrink(&img, THUMB))?))
}

fn shrink(img: &DynamicImage, side: u32) -> DynamicImage {
    if img.width() <= side && img.height() <= side {
        img.clone()
    } else {
        img.resize(side, side, image::imageops::FilterType::Triangle)
    }
}

fn encode(img: &DynamicImage) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img.to_rgb8())
        .map_err(|_| "photo_invalid")?;
    Ok(out)
}

/// A JPEG response that browsers may cache briefly but proxies may not keep.
pub fn response(jpeg: Vec<u8>) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "image/jpeg"),
            (axum::http::header::CACHE_CONTROL, "private, max-age=300"),
        ],
        jpeg,
    )
        .into_response()
}

/// Reads the `photo` field of a multipart upload and prepares it (re-encoded, metadata
/// gone, thumbnail made), at most two decodes at a time. Callers check permission first,
/// so a refused upload is never read.
pub async fn read_upload(
    req: axum::extract::Request,
    st: &crate::AppState,
) -> crate::error::AppResult<(Vec<u8>, Vec<u8>)> {
    use crate::error::AppError;
    let mut form =
        <axum::extract::Multipart as axum::extract::FromRequest<crate::AppState>>::from_request(
            req, st,
        )
        .await
        .map_err(|_| AppError::invalid("photo_required", "photo"))?;
    let mut bytes = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| AppError::invalid("photo_invalid", "photo"))?
    {
        if field.name() == Some("photo") {
            bytes = Some(
                field
                    .bytes()
                    .await
                    .map_err(|_| AppError::invalid("photo_too_large", "photo"))?,
            );
        }
    }
    let bytes = bytes
        .filter(|b| !b.is_empty())
        .ok_or_else(|| AppError::invalid("photo_required", "photo"))?;
    let _permit = DECODING
        .acquire()
        .await
        .map_err(|_| AppError::invalid("photo_invalid", "photo"))?;
    tokio::task::spawn_blocking(move || prepare(&bytes))
        .await
        .map_err(|_| AppError::invalid("photo_invalid", "photo"))?
        .map_err(|code| AppError::invalid(code, "photo"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG with an EXIF segment holding a GPS marker, as a phone writes it.
    fn phone_photo(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::new_rgb8(w, h);
        let mut plain = Vec::new();
        JpegEncoder::new_with_quality(&mut plain, 80)
            .encode_image(&img.to_rgb8())
            .unwrap();
        let payload = b"Exif\0\0GPSLatitude=28.4517N;GPSLongitude=119.9229E;Make=PhoneCam";
        let len = (payload.len() + 2) as u16;
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(&plain[2..]);
        out
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn the_location_and_camera_are_gone_and_a_thumbnail_is_made() {
        let upload = phone_photo(1600, 1200);
        assert!(contains(&upload, b"GPSLatitude"));
        let (full, thumb) = prepare(&upload).unwrap();
        for out in [&full, &thumb] {
            assert!(!contains(out, b"Exif"));
            assert!(!contains(out, b"GPS"));
            assert!(!contains(out, b"PhoneCam"));
        }
        let f = image::load_from_memory(&full).unwrap();
        let t = image::load_from_memory(&thumb).unwrap();
        assert_eq!((f.width(), f.height()), (1200, 900));
        assert_eq!((t.width(), t.height()), (240, 180));
    }

    #[test]
    fn anything_but_a_picture_is_refused() {
        assert_eq!(prepare(b"not a picture"), Err("photo_invalid"));
        assert_eq!(prepare(&[]), Err("photo_invalid"));
        // A truncated JPEG.
        let upload = phone_photo(64, 64);
        assert_eq!(prepare(&upload[..upload.len() / 3]), Err("photo_invalid"));
    }
}
