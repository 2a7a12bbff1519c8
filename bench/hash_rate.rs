//! The raw rate of Portcullis' password check (Argon2id, the parameters of
//! `domain::password`) on this machine: `threads` threads verify a correct password in a loop
//! for `seconds` seconds. This is the ceiling for logins per second.
//!
//! cargo run --release -p portcullis --example hash_rate -- [threads] [seconds]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let seconds: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let stored = domain::password::hash("correct horse battery staple");
    assert_eq!(domain::password::verify("correct horse battery staple", &stored), domain::password::Verified::Yes);
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (done, stored) = (done.clone(), stored.clone());
            std::thread::spawn(move || {
                while Instant::now() < deadline {
                    let _ = domain::password::verify("correct horse battery staple", &stored);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    println!("hash_rate threads={threads} seconds={elapsed:.1} verifications={n} per_second={:.1} ms_per_verification_per_thread={:.1}", n as f64 / elapsed, elapsed * 1000.0 * threads as f64 / n as f64);
}
