//! Whole numbers written the French way: `117 032`, thousands separated by a narrow no-break space.

use std::fmt;

/// Displays a whole number with its thousands grouped (`Grouped(-1200)` → `-1 200`), without allocating:
/// amounts and counts are printed by the dozen per page or simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grouped(pub i64);

impl fmt::Display for Grouped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Longest (i64::MIN): '-' + 19 digits + 6 separators of 3 bytes.
        let mut buf = [0u8; 40];
        let mut end = put_grouped(&mut buf, 40, self.0.unsigned_abs());
        if self.0 < 0 {
            end -= 1;
            buf[end] = b'-';
        }
        f.write_str(as_str(&buf[end..])?)
    }
}

/// Writes `n` with its thousands grouped so that it ends at `buf[end]` (exclusive) and returns where it
/// starts. Shared with [`crate::Euros`]'s display, which writes its whole amount in one buffer.
/// `buf[..end]` must hold 26 bytes (20 digits and 6 separators).
pub(crate) fn put_grouped(buf: &mut [u8], mut end: usize, mut n: u64) -> usize {
    let mut digits = 0;
    loop {
        if digits > 0 && digits % 3 == 0 {
            end -= 3;
            buf[end..end + 3].copy_from_slice("\u{202f}".as_bytes());
        }
        end -= 1;
        buf[end] = b'0' + (n % 10) as u8;
        digits += 1;
        n /= 10;
        if n == 0 {
            return end;
        }
    }
}

/// Bytes written by [`put_grouped`] and ASCII: always UTF-8.
pub(crate) fn as_str(bytes: &[u8]) -> Result<&str, fmt::Error> {
    std::str::from_utf8(bytes).map_err(|_| fmt::Error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped_with_a_narrow_no_break_space() {
        assert_eq!(Grouped(0).to_string(), "0");
        assert_eq!(Grouped(999).to_string(), "999");
        assert_eq!(Grouped(1_000).to_string(), "1\u{202f}000");
        assert_eq!(Grouped(117_032).to_string(), "117\u{202f}032");
        assert_eq!(Grouped(-1_200).to_string(), "-1\u{202f}200");
        assert_eq!(
            Grouped(i64::MIN).to_string(),
            "-9\u{202f}223\u{202f}372\u{202f}036\u{202f}854\u{202f}775\u{202f}808"
        );
    }
}
