//! No copy of the client secret or of a token is left in freed heap memory
//! (where core dumps and later allocations would find it), except the
//! documented residue inside rustls over TLS (README, "Security").
//!
//! Its own binary: a global allocator that scans every block freed by the
//! test's thread for marker strings before handing it back.

mod common;
use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::SeqCst};

const NEEDLES: usize = 3;
const MAX_HITS: usize = 64;

struct Scanning;

static NEEDLE_PTR: [AtomicPtr<u8>; NEEDLES] = [const { AtomicPtr::new(std::ptr::null_mut()) }; NEEDLES];
static NEEDLE_LEN: [AtomicUsize; NEEDLES] = [const { AtomicUsize::new(0) }; NEEDLES];
/// (needle index, size of the freed block) of every hit; the first MAX_HITS.
static HIT_NEEDLE: [AtomicUsize; MAX_HITS] = [const { AtomicUsize::new(0) }; MAX_HITS];
static HIT_SIZE: [AtomicUsize; MAX_HITS] = [const { AtomicUsize::new(0) }; MAX_HITS];
static HITS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Only the test's own thread is watched: the in-process simulator
    /// handles the secret and the token too.
    static WATCHED: Cell<bool> = const { Cell::new(false) };
}

fn scan(ptr: *const u8, size: usize) {
    if !WATCHED.try_with(Cell::get).unwrap_or(false) {
        return;
    }
    // SAFETY: the block is still allocated and `size` bytes long.
    let block = unsafe { std::slice::from_raw_parts(ptr, size) };
    for n in 0..NEEDLES {
        let (p, len) = (NEEDLE_PTR[n].load(SeqCst), NEEDLE_LEN[n].load(SeqCst));
        if p.is_null() || len == 0 || len > size {
            continue;
        }
        // SAFETY: set from a leaked, never freed slice.
        let needle = unsafe { std::slice::from_raw_parts(p, len) };
        if block.windows(len).any(|w| w == needle) {
            let i = HITS.fetch_add(1, SeqCst);
            if i < MAX_HITS {
                HIT_NEEDLE[i].store(n, SeqCst);
                HIT_SIZE[i].store(size, SeqCst);
            }
        }
    }
}

// SAFETY: every block comes from System and goes back to it with its layout;
// scanning only reads a block before it is freed.
unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout, as GlobalAlloc::alloc requires.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        scan(ptr, layout.size());
        // SAFETY: `ptr` was allocated by System with `layout` (alloc and realloc above).
        unsafe { System.dealloc(ptr, layout) }
    }
    // Never System.realloc: it frees the old block where we cannot scan it.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: GlobalAlloc::realloc's contract: new_size is non-zero and,
        // rounded up to layout.align(), does not overflow isize.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a valid, non-zero-sized layout (above).
        let new = unsafe { System.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: the old block has layout.size() readable bytes, the new one
            // new_size writable bytes; two distinct allocations never overlap.
            unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
            // SAFETY: `ptr` was allocated by this allocator with `layout`.
            unsafe { self.dealloc(ptr, layout) };
        }
        new
    }
}

#[global_allocator]
static ALLOC: Scanning = Scanning;

/// The needles and hit counters are global: one test at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn set_needle(n: usize, s: &str) {
    let leaked: &'static mut [u8] = Box::leak(s.as_bytes().to_vec().into_boxed_slice());
    NEEDLE_LEN[n].store(leaked.len(), SeqCst);
    NEEDLE_PTR[n].store(leaked.as_mut_ptr(), SeqCst);
}

fn hits() -> Vec<(usize, usize)> {
    let n = HITS.load(SeqCst).min(MAX_HITS);
    (0..n).map(|i| (HIT_NEEDLE[i].load(SeqCst), HIT_SIZE[i].load(SeqCst))).collect()
}

const SECRET: &str = "Heap-Res1due-S3cret-7c1f9a";
const TOKEN: &str = "HeapResidueToken-5d2e81b0c4f7a93e6b1d";

/// Gets a token twice with `method` (over TLS when `tls`), drops the
/// client, and returns the hits as (needle, block size).
fn run(method: AuthMethod, tls: bool) -> Vec<(usize, usize)> {
    use base64::Engine as _;
    let _one_at_a_time = serial();
    let sim = Sim::start(SimConfig {
        clients: vec![ClientSpec::new("residue", SECRET)],
        tls_names: tls.then(|| vec!["127.0.0.1".to_string()]),
        ..SimConfig::default()
    })
    .expect("start simulator");
    let ca = std::env::temp_dir().join(format!("oauth2cc-residue-ca-{}-{method:?}.pem", std::process::id()));
    let mut cfg = config(&sim, "residue", SECRET).auth_method(method);
    if tls {
        std::fs::write(&ca, sim.ca_pem().unwrap()).unwrap();
        cfg = cfg.ca_file(&ca);
    }
    let body = format!("{{\"access_token\":\"{TOKEN}\",\"token_type\":\"Bearer\",\"expires_in\":300}}");
    sim.push_fault(Fault::Status { status: 200, retry_after: None, body: Some(body) }, 1);
    // No character of the id or secret is changed by form-encoding, so both Basic methods send this.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("residue:{SECRET}"));
    set_needle(0, SECRET);
    set_needle(1, &basic);
    set_needle(2, TOKEN);
    HITS.store(0, SeqCst);
    WATCHED.with(|w| w.set(true));
    {
        let c = Client::new(cfg).expect("client");
        assert_eq!(c.token().expect("token").access_token(), TOKEN);
        assert_eq!(c.token().expect("cached token").access_token(), TOKEN);
    }
    WATCHED.with(|w| w.set(false));
    if tls {
        let _ = std::fs::remove_file(&ca);
    }
    hits()
}

const METHODS: [AuthMethod; 3] =
    [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretBasicRaw, AuthMethod::ClientSecretPost];

#[test]
fn the_scanner_sees_a_secret_in_a_freed_block() {
    let _one_at_a_time = serial();
    set_needle(0, SECRET);
    HITS.store(0, SeqCst);
    WATCHED.with(|w| w.set(true));
    drop(std::hint::black_box(format!("x{SECRET}y")));
    WATCHED.with(|w| w.set(false));
    assert!(!hits().is_empty());
}

#[test]
fn no_secret_or_token_is_left_in_freed_memory_over_http() {
    for method in METHODS {
        let hits = run(method, false);
        assert!(hits.is_empty(), "{method:?}: (needle, freed block size): {hits:?}");
    }
}

/// The documented residue over TLS: rustls decrypts the answer in its own
/// buffers (the record buffers and the plaintext chunks ureq reads from) and
/// frees them as they are, so copies of the token remain: how many depends on
/// how the answer was split into reads and records (1 to 3 seen). Never the
/// secret or the Basic value: the request is encrypted straight from ureq's
/// wiped buffer.
#[test]
fn over_tls_only_copies_of_the_token_remain() {
    for method in METHODS {
        let hits = run(method, true);
        assert!(
            hits.iter().all(|(n, _)| *n == 2),
            "{method:?}: (needle, freed block size): {hits:?}; update README's Security section"
        );
    }
}
