//! The page frame and HTML escaping.

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;min-height:100vh;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;
 background:linear-gradient(135deg,#1b2a4a,#3c6e91);background-size:cover;display:flex;align-items:center;justify-content:center}
body.layout-content_left,body.layout-sidebar_left{justify-content:flex-start;padding-left:5vw}
body.layout-content_right,body.layout-sidebar_right{justify-content:flex-end;padding-right:5vw}
main{background:#fff;border-radius:8px;box-shadow:0 8px 32px rgba(0,0,0,.25);padding:2rem;width:100%;max-width:26rem;margin:1rem}
h1{font-size:1.4rem;margin:0 0 1.25rem}
label{display:block;font-weight:600;margin:.9rem 0 .3rem}
input[type=text],input[type=email],input[type=password],input[type=number],input[type=date],input[type=datetime-local],textarea,select{
 width:100%;padding:.55rem .6rem;border:1px solid #8c959f;border-radius:4px;font-size:1rem}
input:focus,textarea:focus,select:focus,button:focus,a:focus{outline:3px solid #0969da;outline-offset:1px}
.check label{display:inline;font-weight:400;margin-left:.4rem}
button{margin-top:1.25rem;width:100%;padding:.65rem;border:0;border-radius:4px;background:#0969da;color:#fff;font-size:1rem;font-weight:600;cursor:pointer}
[aria-invalid=true]{border-color:#b3261e!important;border-width:2px!important}
.error{color:#b3261e;margin:.3rem 0 0;font-size:.95rem}
.alert{border-left:4px solid #b3261e;background:#fdecea;padding:.75rem;margin:0 0 1rem}
.user{display:flex;align-items:center;gap:.6rem;margin-bottom:.5rem}
.user img{width:2rem;height:2rem;border-radius:50%}
.help{color:#57606a;font-size:.9rem;margin:.2rem 0 0}
nav.links{margin-top:1.25rem;display:flex;flex-direction:column;gap:.4rem}
.message{padding:.75rem;margin:0 0 1rem;border-left:4px solid #1a7f37;background:#e6f4ea}.message-error,.message-warning{border-left-color:#b3261e;background:#fdecea}
.sources img{vertical-align:middle}
.sources a{display:block;text-align:center;margin-top:.6rem;padding:.55rem;border:1px solid #8c959f;border-radius:4px;color:#1f2328;text-decoration:none}
footer{margin-top:1.5rem;font-size:.9rem}
"#;

/// A full page around `body`.
pub fn page(title: &str, layout: &str, background: &str, body: &str) -> String {
    let bg = if background.is_empty() {
        String::new()
    } else {
        format!(" style=\"background-image:url('{}'),linear-gradient(135deg,#1b2a4a,#3c6e91)\"", esc(background))
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title><style>{STYLE}</style></head><body class=\"layout-{l}\"{bg}><main>{body}</main></body></html>",
        t = esc(title),
        l = esc(layout),
    )
}
