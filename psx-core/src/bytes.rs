//! Bounds-checked readers of native-endian fields at byte offsets, for the decoders
//! of kernel structs (`kinfo_proc`, `/proc` files): a read past the end is `None`,
//! never a panic.

/// The `N` bytes at `at`, if `buf` holds them.
pub fn array<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// The `u16` at `at`.
pub fn u16_at(buf: &[u8], at: usize) -> Option<u16> {
    array(buf, at).map(u16::from_ne_bytes)
}

/// The `u32` at `at`.
pub fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    array(buf, at).map(u32::from_ne_bytes)
}

/// The `i32` at `at`.
pub fn i32_at(buf: &[u8], at: usize) -> Option<i32> {
    array(buf, at).map(i32::from_ne_bytes)
}

/// The `u64` at `at`.
pub fn u64_at(buf: &[u8], at: usize) -> Option<u64> {
    array(buf, at).map(u64::from_ne_bytes)
}

/// The `i64` at `at`.
pub fn i64_at(buf: &[u8], at: usize) -> Option<i64> {
    array(buf, at).map(i64::from_ne_bytes)
}

/// The NUL-terminated text at `at`, at most `len` bytes (a `char name[len]` field),
/// bytes that are not UTF-8 replaced.
pub fn c_string_at(buf: &[u8], at: usize, len: usize) -> Option<String> {
    let field = buf.get(at..at.checked_add(len)?)?;
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    Some(String::from_utf8_lossy(&field[..end]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inside_and_refuses_past_the_end() {
        let buf = [1u8, 0, 0, 0, 2, 0, 0, 0, 0xff];
        assert_eq!(u32_at(&buf, 0), Some(u32::from_ne_bytes([1, 0, 0, 0])));
        assert_eq!(
            u64_at(&buf, 0),
            Some(u64::from_ne_bytes([1, 0, 0, 0, 2, 0, 0, 0]))
        );
        assert_eq!(u32_at(&buf, 6), None);
        assert_eq!(u16_at(&buf, usize::MAX), None);
        assert_eq!(i32_at(&buf, 5), Some(i32::from_ne_bytes([0, 0, 0, 0xff])));
        assert_eq!(i64_at(&buf, 2), None);
    }

    #[test]
    fn c_strings_stop_at_nul_or_the_field() {
        assert_eq!(c_string_at(b"xxsh\0\0\0yy", 2, 5), Some("sh".into()));
        assert_eq!(c_string_at(b"abc", 0, 3), Some("abc".into()));
        assert_eq!(c_string_at(b"abc", 1, 3), None);
        assert_eq!(c_string_at(b"a\xffb\0", 0, 4), Some("a\u{fffd}b".into()));
    }
}
