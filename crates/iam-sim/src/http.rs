//! A deliberately small HTTP/1.1 server: one thread per connection, keep-alive,
//! `Content-Length` bodies only. Enough for a token endpoint and a protected
//! API; no dependency beyond std.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 1024 * 1024;

pub struct Request {
    pub method: String,
    pub path: String,
    /// The text after `?` in the request target, undecoded ("" when none).
    pub query: String,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub peer: SocketAddr,
    /// The DER certificate the TLS client presented (mutual TLS), if any.
    pub client_cert: Option<Arc<Vec<u8>>>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How the connection should end after (or instead of) this answer.
    pub ending: Ending,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    KeepAlive,
    /// Close the connection without sending anything.
    CloseSilently,
    /// Send the headers and part of the body, then close.
    CloseMidBody,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            ending: Ending::KeepAlive,
        }
    }

    pub fn json(status: u16, value: &serde_json::Value) -> Response {
        Response::new(status, "application/json", value.to_string())
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// Serves `handler` on `listener` until `stop` is set (checked between accepts),
/// over TLS when `tls` is given.
pub fn serve(listener: TcpListener, handler: Handler, stop: Arc<AtomicBool>, tls: Option<Arc<rustls::ServerConfig>>) {
    for conn in listener.incoming() {
        if stop.load(Ordering::Acquire) {
            break;
        }
        let Ok(stream) = conn else { continue };
        let handler = handler.clone();
        let stop = stop.clone();
        let tls = tls.clone();
        std::thread::spawn(move || {
            let Ok(peer) = stream.peer_addr() else { return };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
            let _ = stream.set_nodelay(true);
            let Ok(raw) = stream.try_clone() else { return };
            let _ = match tls {
                None => handle_connection(stream, raw, peer, None, handler, stop),
                Some(cfg) => {
                    let Ok(mut conn) = rustls::ServerConnection::new(cfg) else { return };
                    let mut stream = stream;
                    // The handshake first, to know the client's certificate (if it sent one).
                    while conn.is_handshaking() {
                        if conn.complete_io(&mut stream).is_err() {
                            return;
                        }
                    }
                    let cert = conn.peer_certificates().and_then(|c| c.first()).map(|c| Arc::new(c.to_vec()));
                    handle_connection(rustls::StreamOwned::new(conn, stream), raw, peer, cert, handler, stop)
                }
            };
        });
    }
}

fn handle_connection<S: Read + Write>(
    stream: S,
    raw: TcpStream,
    peer: SocketAddr,
    client_cert: Option<Arc<Vec<u8>>>,
    handler: Handler,
    stop: Arc<AtomicBool>,
) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        if stop.load(Ordering::Acquire) {
            return Ok(());
        }
        let req = match read_request(&mut reader, peer) {
            Ok(Some(r)) => Request { client_cert: client_cert.clone(), ..r },
            Ok(None) => return Ok(()),
            Err(e) => {
                let msg = format!("bad request: {e}");
                let _ = write_response(reader.get_mut(), &Response::new(400, "text/plain", msg), true);
                return Ok(());
            }
        };
        if stop.load(Ordering::Acquire) {
            // Stopped while this connection idled: behave like a server that is gone.
            let _ = raw.shutdown(Shutdown::Both);
            return Ok(());
        }
        let close = req.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let resp = handler(&req);
        match resp.ending {
            Ending::CloseSilently => {
                let _ = raw.shutdown(Shutdown::Both);
                return Ok(());
            }
            Ending::CloseMidBody => {
                let w = reader.get_mut();
                w.write_all(&head_bytes(&resp, true))?;
                w.write_all(&resp.body[..resp.body.len() / 2])?;
                w.flush()?;
                let _ = raw.shutdown(Shutdown::Both);
                return Ok(());
            }
            Ending::KeepAlive => {
                write_response(reader.get_mut(), &resp, close)?;
                if close {
                    return Ok(());
                }
            }
        }
    }
}

fn read_request<S: Read>(reader: &mut BufReader<S>, peer: SocketAddr) -> io::Result<Option<Request>> {
    // Like a real server, answer a non-HTTP first byte (a TLS ClientHello sent
    // to this plain-HTTP port starts with 0x16) with a 400 at once instead of
    // waiting for a request head that never comes.
    match reader.fill_buf()?.first() {
        None => return Ok(None),
        Some(b) if !(b.is_ascii_alphabetic() || *b == b'\r' || *b == b'\n') => {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "not an HTTP request"));
        }
        Some(_) => {}
    }
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = reader.by_ref().take(MAX_HEAD as u64).read_until(b'\n', &mut head)?;
        if n == 0 {
            if head.is_empty() {
                return Ok(None);
            }
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "truncated head"));
        }
        if head.len() > MAX_HEAD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too large"));
        }
        let line = &head[before..];
        if line == b"\r\n" || line == b"\n" {
            if before == 0 {
                head.clear(); // tolerate blank lines between requests
                continue;
            }
            break;
        }
    }
    let text = String::from_utf8(head).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "head is not UTF-8"))?;
    let mut lines = text.split("\r\n").flat_map(|l| l.split('\n'));
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    if method.is_empty() || !target.starts_with('/') {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "bad request line"));
    }
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "bad header line"));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let find = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    if find("transfer-encoding").is_some() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "chunked bodies are not supported"));
    }
    let len: usize = match find("content-length") {
        Some(v) => v.parse().map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad content-length"))?,
        None => 0,
    };
    if len > MAX_BODY {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "body too large"));
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let (path, query) = (path.to_string(), query.to_string());
    Ok(Some(Request { method, path, query, headers, body, peer, client_cert: None }))
}

fn head_bytes(resp: &Response, close: bool) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (n, v) in &resp.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n", resp.body.len()));
    head.push_str(if close { "Connection: close\r\n\r\n" } else { "Connection: keep-alive\r\n\r\n" });
    head.into_bytes()
}

fn write_response(w: &mut impl Write, resp: &Response, close: bool) -> io::Result<()> {
    let mut out = head_bytes(resp, close);
    out.extend_from_slice(&resp.body);
    w.write_all(&out)?;
    w.flush()
}
