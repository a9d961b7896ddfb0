//! Reading user-written input files within a size cap: a file is read up
//! to one byte past its limit, so `/dev/zero`, a huge file or a symlink to
//! either is refused after reading no more than the limit.

use std::io::Read;
use std::path::Path;

/// The text of the file at `path`, at most `max_bytes` long and UTF-8.
pub fn read_capped(path: &Path, max_bytes: u64) -> Result<String, String> {
    if path.is_dir() {
        return Err("is a directory, expected a file".into());
    }
    let file = std::fs::File::open(path).map_err(|error| format!("cannot read: {error}"))?;
    let mut bytes = Vec::new();
    file.take(max_bytes + 1).read_to_end(&mut bytes).map_err(|error| format!("cannot read: {error}"))?;
    if bytes.len() as u64 > max_bytes {
        return Err(format!("larger than {}, the most read from such a file", size_text(max_bytes)));
    }
    String::from_utf8(bytes)
        .map_err(|error| format!("not UTF-8 text (invalid byte at offset {})", error.utf8_error().valid_up_to()))
}

/// `4 MiB`, `64 KiB` or `100 bytes`.
pub fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_file_is_refused_after_the_limit() {
        let message = read_capped(Path::new("/dev/zero"), 1 << 10).unwrap_err();
        assert_eq!(message, "larger than 1 KiB, the most read from such a file");
        assert_eq!(size_text(4 << 20), "4 MiB");
        assert_eq!(size_text(1000), "1000 bytes");
    }
}
