//! A small RFC 5322 reader for the support mailbox: enough of MIME to take
//! the sender, the subject, the threading headers and the text/plain body
//! of what people actually send (plain text, or `multipart/alternative`
//! with a text part; quoted-printable or base64; UTF-8 or Latin-1).
//!
//! It is deliberately narrow: anything it cannot read with confidence is
//! refused with a reason, so the importer can set the file aside instead of
//! storing a half-decoded message.

use kerato_core::ValidationErrors;

/// How deep multiparts may nest before the message is refused; real mail
/// nests two or three levels (mixed → alternative → text).
const MAX_DEPTH: usize = 5;

/// What the support inbox needs from one e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The sender's address, lower-cased.
    pub from: String,
    /// The decoded subject ("" when absent).
    pub subject: String,
    /// The Message-ID without its angle brackets.
    pub message_id: Option<String>,
    /// The first Message-ID in In-Reply-To, without angle brackets.
    pub in_reply_to: Option<String>,
    /// The decoded text/plain body, with `\n` line ends.
    pub body: String,
}

/// Headers in order, names lower-cased, folded lines joined.
type Headers = Vec<(String, String)>;

fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Splits a message (or a MIME part) into its headers and its body. A part
/// without headers starts with an empty line, which is allowed.
fn split(raw: &[u8]) -> Result<(Headers, &[u8]), &'static str> {
    let mut headers: Headers = Vec::new();
    let mut pos = 0;
    loop {
        if pos >= raw.len() {
            // Headers only: an empty body.
            return Ok((headers, &raw[raw.len()..]));
        }
        let end = raw[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |i| pos + i);
        let line = &raw[pos..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        pos = (end + 1).min(raw.len());
        if line.is_empty() {
            return Ok((headers, &raw[pos..]));
        }
        // Header text is ASCII by the standard; stray 8-bit bytes are read
        // as UTF-8 where they can be, which is what sending clients mean.
        let line = String::from_utf8_lossy(line);
        if line.starts_with([' ', '\t']) {
            let (_, value) = headers
                .last_mut()
                .ok_or("the first header line is indented")?;
            value.push(' ');
            value.push_str(line.trim());
            continue;
        }
        let (name, value) = line.split_once(':').ok_or("a header line has no colon")?;
        if name.is_empty() || name.contains([' ', '\t']) {
            return Err("a header name is not valid");
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
}

/// A Content-Type: the lower-cased `type/subtype` and its parameters
/// (names lower-cased, quotes removed).
fn content_type(value: Option<&str>) -> (String, Vec<(String, String)>) {
    let Some(value) = value else {
        return ("text/plain".into(), Vec::new());
    };
    let mut parts = value.split(';');
    let mime = parts
        .next()
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let params = parts
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_string(),
            ))
        })
        .collect();
    (mime, params)
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Quoted-printable (RFC 2045 §6.7): `=XX` is a byte, `=` at a line end is a
/// soft break. A malformed `=` is kept as it is, as the RFC recommends.
fn quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        let rest = &input[i + 1..];
        if rest.starts_with(b"\r\n") {
            i += 3;
        } else if rest.starts_with(b"\n") {
            i += 2;
        } else if let (Some(h), Some(l)) = (
            rest.first().copied().and_then(hex_digit),
            rest.get(1).copied().and_then(hex_digit),
        ) {
            out.push(h * 16 + l);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

fn base64(input: &[u8]) -> Result<Vec<u8>, &'static str> {
    let clean: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    data_encoding::BASE64
        .decode(&clean)
        .map_err(|_| "a base64 part does not decode")
}

/// Bytes in a charset to text. UTF-8 and ASCII are read as UTF-8 (invalid
/// sequences become U+FFFD rather than refusing the message); Latin-1 and
/// its Windows variant map byte to code point.
fn charset(bytes: &[u8], name: Option<&str>) -> String {
    match name.map(str::to_ascii_lowercase).as_deref() {
        Some("iso-8859-1" | "latin1" | "latin-1" | "windows-1252" | "cp1252") => {
            bytes.iter().map(|&b| char::from(b)).collect()
        }
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Decodes RFC 2047 encoded words (`=?utf-8?Q?Caf=C3=A9?=`,
/// `=?UTF-8?B?...?=`) in a header value; whitespace between two encoded
/// words is dropped, as the RFC requires. A word that does not decode is
/// left as it is.
fn encoded_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        let decoded = decode_word(candidate);
        let Some((text, used)) = decoded else {
            out.push_str(before);
            out.push_str("=?");
            rest = &candidate[2..];
            after_word = false;
            continue;
        };
        if !(after_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        out.push_str(&text);
        rest = &candidate[used..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `s`: its text and its length.
fn decode_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (cs, inner) = inner.split_once('?')?;
    let (enc, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let text = &inner[..end];
    if text.contains(' ') {
        return None;
    }
    let bytes = match enc {
        "Q" | "q" => quoted_printable(text.replace('_', " ").as_bytes()),
        "B" | "b" => base64(text.as_bytes()).ok()?,
        _ => return None,
    };
    let used = 2 + cs.len() + 1 + enc.len() + 1 + end + 2;
    Some((charset(&bytes, Some(cs)), used))
}

/// The address in a From value: inside `<…>` when there is one, else the
/// first word with an `@` (which skips an old-style `(Name)` comment);
/// checked by the site's e-mail rule.
fn address(from: &str) -> Result<String, &'static str> {
    let candidate = match (from.rfind('<'), from.rfind('>')) {
        (Some(l), Some(r)) if l < r => &from[l + 1..r],
        _ => from
            .split_whitespace()
            .find(|w| w.contains('@'))
            .unwrap_or(from),
    };
    let mut errors = ValidationErrors::new();
    let email = crate::fields::email(&mut errors, "from", candidate);
    if errors.is_empty() {
        Ok(email)
    } else {
        Err("the From header has no usable e-mail address")
    }
}

/// The first `<id>` in a Message-ID or In-Reply-To value.
fn message_id(value: Option<&str>) -> Option<String> {
    let v = value?;
    let id = match (v.find('<'), v.find('>')) {
        (Some(l), Some(r)) if l < r => &v[l + 1..r],
        _ => v.split_whitespace().next()?,
    };
    let id = id.trim();
    (!id.is_empty() && id.len() <= 998).then(|| id.to_string())
}

/// The text/plain content of a part: itself when it is text/plain, the
/// first text/plain part inside it when it is a multipart, else nothing.
fn text_plain(
    headers: &Headers,
    body: &[u8],
    depth: usize,
) -> Result<Option<String>, &'static str> {
    if depth > MAX_DEPTH {
        return Err("the message nests too many parts");
    }
    let (mime, params) = content_type(header(headers, "content-type"));
    if mime.starts_with("multipart/") {
        let boundary = param(&params, "boundary").ok_or("a multipart has no boundary")?;
        for part in parts(body, boundary)? {
            let (h, b) = split(part)?;
            if let Some(text) = text_plain(&h, b, depth + 1)? {
                return Ok(Some(text));
            }
        }
        return Ok(None);
    }
    if mime != "text/plain" {
        return Ok(None);
    }
    let encoding = header(headers, "content-transfer-encoding")
        .map(|e| e.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let bytes = match encoding.as_str() {
        "quoted-printable" => quoted_printable(body),
        "base64" => base64(body)?,
        "" | "7bit" | "8bit" | "binary" => body.to_vec(),
        _ => return Err("the body uses an unknown transfer encoding"),
    };
    Ok(Some(charset(&bytes, param(&params, "charset"))))
}

/// The parts of a multipart body between `--boundary` lines, up to the
/// closing `--boundary--`.
fn parts<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<&'a [u8]>, &'static str> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut current: Option<usize> = None;
    let mut pos = 0;
    while pos < body.len() {
        let end = body[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(body.len(), |i| pos + i);
        let line = &body[pos..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let trimmed = line.trim_ascii_end();
        if let Some(after) = trimmed.strip_prefix(delimiter.as_bytes()) {
            if let Some(start) = current {
                // The line break before a delimiter belongs to it.
                let mut stop = pos;
                if stop > start && body[stop - 1] == b'\n' {
                    stop -= 1;
                }
                if stop > start && body[stop - 1] == b'\r' {
                    stop -= 1;
                }
                parts.push(&body[start..stop]);
            }
            if after == b"--" {
                return Ok(parts);
            }
            if after.is_empty() {
                current = Some((end + 1).min(body.len()));
            }
        }
        pos = end + 1;
    }
    Err("a multipart is not closed")
}

/// Reads one message; the error is the reason it cannot be used.
pub fn parse(raw: &[u8]) -> Result<Mail, &'static str> {
    let (headers, body) = split(raw)?;
    if headers.is_empty() {
        return Err("the file has no mail headers");
    }
    let from = address(header(&headers, "from").ok_or("the message has no From header")?)?;
    let body = text_plain(&headers, body, 0)?.ok_or("the message has no text/plain part")?;
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    Ok(Mail {
        from,
        subject: header(&headers, "subject")
            .map(encoded_words)
            .unwrap_or_default(),
        message_id: message_id(header(&headers, "message-id")),
        in_reply_to: message_id(header(&headers, "in-reply-to")),
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_plain_message_is_read() {
        let m = parse(
            b"From: \"Ann Lee\" <Ann@LeeEye.example>\r\nSubject: Printer\r\n trouble\r\nMessage-ID: <abc@mail.example>\r\n\r\nHello,\r\nthe printer.\r\n",
        )
        .unwrap();
        assert_eq!(m.from, "ann@leeeye.example");
        assert_eq!(m.subject, "Printer trouble");
        assert_eq!(m.message_id.as_deref(), Some("abc@mail.example"));
        assert_eq!(m.in_reply_to, None);
        assert_eq!(m.body, "Hello,\nthe printer.\n");
        let m = parse(b"From: bo@clinic.example (Bo Chen)\n\nHi").unwrap();
        assert_eq!(m.from, "bo@clinic.example");
        assert_eq!(m.subject, "");
    }

    #[test]
    fn quoted_printable_and_base64_bodies_are_decoded() {
        let qp = parse(
            b"From: a@b.example\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nCaf=C3=A9 is a long =\nline =3D fine\n",
        )
        .unwrap();
        assert_eq!(qp.body, "Caf\u{e9} is a long line = fine\n");
        let b64 =
            parse(b"From: a@b.example\nContent-Transfer-Encoding: base64\n\nSGVsbG8g\nd29ybGQ=\n")
                .unwrap();
        assert_eq!(b64.body, "Hello world");
        let latin = parse(
            b"From: a@b.example\nContent-Type: text/plain; charset=\"ISO-8859-1\"\n\nna\xefve\n",
        )
        .unwrap();
        assert_eq!(latin.body, "na\u{ef}ve\n");
    }

    #[test]
    fn the_text_part_of_an_alternative_is_taken() {
        let m = parse(
            b"From: a@b.example\nSubject: =?UTF-8?Q?R=C3=A9sum=C3=A9?= =?UTF-8?B?IG9r?=\nIn-Reply-To: <x@y> <z@w>\nContent-Type: multipart/mixed; boundary=outer\n\npreamble\n--outer\nContent-Type: multipart/alternative; boundary=\"inner\"\n\n--inner\nContent-Type: text/html\n\n<p>Hi</p>\n--inner\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nHi =\nthere\n--inner--\n--outer--\n",
        )
        .unwrap();
        assert_eq!(m.subject, "R\u{e9}sum\u{e9} ok");
        assert_eq!(m.in_reply_to.as_deref(), Some("x@y"));
        assert_eq!(m.body, "Hi there");
    }

    #[test]
    fn unusable_messages_are_refused_with_a_reason() {
        let cases: &[(&[u8], &str)] = &[
            (b"\x00\x01 garbage without headers", "no colon"),
            (b"", "no mail headers"),
            (b"Subject: hi\n\nbody", "no From"),
            (b"From: not an address\n\nbody", "usable e-mail"),
            (
                b"From: a@b.example\nContent-Type: text/html\n\n<p>x</p>",
                "no text/plain",
            ),
            (
                b"From: a@b.example\nContent-Transfer-Encoding: base64\n\n!!!!",
                "base64",
            ),
            (
                b"From: a@b.example\nContent-Type: multipart/alternative; boundary=b\n\n--b\n\nx\n",
                "not closed",
            ),
            (
                b"From: a@b.example\nContent-Type: multipart/alternative\n\nx",
                "no boundary",
            ),
        ];
        for (raw, reason) in cases {
            let e = parse(raw).unwrap_err();
            assert!(e.contains(reason), "{reason}: {e}");
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&raw);
        }

        #[test]
        fn encoded_words_never_panic(s in "\\PC{0,60}") {
            let _ = encoded_words(&s);
        }
    }
}
