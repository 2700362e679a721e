//! Static files embedded in the binary: our own CSS and JS, and the vendored libraries
//! (versions in `assets/vendor/VERSIONS.md`). Names carry versions, so they are cached
//! for a year.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

macro_rules! files {
    ($($name:literal => $path:literal, $mime:literal;)*) => {
        const FILES: &[(&str, &[u8], &str)] = &[$(($name, include_bytes!($path), $mime),)*];
    };
}

files! {
    "app-1.css" => "../assets/app.css", "text/css; charset=utf-8";
    "app-1.js" => "../assets/app.js", "text/javascript; charset=utf-8";
    "print-1.css" => "../assets/print.css", "text/css; charset=utf-8";
    "geo/lishui-1.json" => "../assets/geo/lishui-1.json", "application/json";
    "vendor/htmx-2.0.11.min.js" => "../assets/vendor/htmx-2.0.11.min.js", "text/javascript; charset=utf-8";
    "vendor/bulma-1.0.4.min.css" => "../assets/vendor/bulma-1.0.4.min.css", "text/css; charset=utf-8";
    "vendor/echarts-5.6.0.min.js" => "../assets/vendor/echarts-5.6.0.min.js", "text/javascript; charset=utf-8";
    "vendor/leaflet/leaflet-1.9.4.js" => "../assets/vendor/leaflet/leaflet-1.9.4.js", "text/javascript; charset=utf-8";
    "vendor/leaflet/leaflet-1.9.4.css" => "../assets/vendor/leaflet/leaflet-1.9.4.css", "text/css; charset=utf-8";
    "vendor/leaflet/images/marker-icon.png" => "../assets/vendor/leaflet/images/marker-icon.png", "image/png";
    "vendor/leaflet/images/marker-icon-2x.png" => "../assets/vendor/leaflet/images/marker-icon-2x.png", "image/png";
    "vendor/leaflet/images/marker-shadow.png" => "../assets/vendor/leaflet/images/marker-shadow.png", "image/png";
    "vendor/leaflet/images/layers.png" => "../assets/vendor/leaflet/images/layers.png", "image/png";
    "vendor/leaflet/images/layers-2x.png" => "../assets/vendor/leaflet/images/layers-2x.png", "image/png";
}

pub async fn serve(Path(path): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == path) {
        Some((_, body, mime)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
