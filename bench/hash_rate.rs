//! The raw rate of Portcullis' password check (Argon2id, the parameters of
//! `domain::password`) on this machine: `threads` threads verify a correct password in a loop
//! for `seconds` seconds. This is the ceiling for logins per second.
//!
//! cargo run --release -p portcullis --example hash_rate -- [threads] [seconds]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// User + system CPU time of this process in clock ticks (1/100 s on Linux), from /proc.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    f.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0) + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let seconds: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let stored = domain::password::hash("correct horse battery staple");
    assert_eq!(domain::password::verify("correct horse battery staple", &stored), domain::password::Verified::Yes);
    let done = Arc::new(AtomicU64::new(0));
    let cpu0 = cpu_ticks();
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
    let cpu_ms = (cpu_ticks() - cpu0) as f64 * 10.0;
    println!(
        "hash_rate threads={threads} seconds={elapsed:.1} verifications={n} per_second={:.1} cpu_ms_per_verification={:.1}",
        n as f64 / elapsed,
        cpu_ms / n as f64
    );
}
