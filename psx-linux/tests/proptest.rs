//! The status decoder under arbitrary input: it never panics, and what it decodes from a
//! well-formed status is what was encoded.
#![cfg(not(miri))]

use proptest::prelude::*;
use psx_core::SigSet;
use psx_linux::decode;

/// A status file as Linux 6.x writes it, with the given values.
fn encode(name: &str, umask: Option<u32>, state: char, groups: &[u32], masks: [u64; 5]) -> Vec<u8> {
    let mut s = format!(
        "Name:\t{}\n",
        name.replace('\\', "\\\\").replace('\n', "\\n")
    );
    if let Some(m) = umask {
        s += &format!("Umask:\t{m:04o}\n");
    }
    s += &format!("State:\t{state} (x)\nTgid:\t1\nPid:\t1\nGroups:\t");
    for g in groups {
        s += &format!("{g} ");
    }
    s += "\nThreads:\t1\n";
    for (key, m) in ["SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt"]
        .iter()
        .zip(masks)
    {
        s += &format!("{key}:\t{m:016x}\n");
    }
    s += "CapInh:\t0000000000000000\n";
    s.into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = decode::status(&bytes);
        let _ = decode::umask_or_zombie(&bytes);
        let _ = decode::groups(&bytes);
        let _ = decode::sigmasks(&bytes);
    }

    #[test]
    fn arbitrary_lines_never_panic(lines in proptest::collection::vec(
        ("(Umask|Groups|SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt|State|Name)", "[ \\t0-9a-fA-FxZ-]{0,40}"), 0..20)) {
        let text: String = lines.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let _ = decode::status(text.as_bytes());
    }

    #[test]
    fn one_pass_and_single_field_decoders_agree(lines in proptest::collection::vec(
        ("(Umask|Groups|SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt|State|Name|Uid)", "[ \t0-9a-fA-FxZ-]{0,40}"), 0..20)) {
        let text: String = lines.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let bytes = text.as_bytes();
        let zombie = decode::is_zombie(bytes);
        let umask = decode::umask(bytes).ok();
        prop_assert_eq!(decode::umask_or_zombie(bytes).ok(), umask.map(|u| (u, zombie)));
        if let Ok(s) = decode::status(bytes) {
            prop_assert_eq!(s.umask, umask.flatten());
            prop_assert_eq!(s.zombie, zombie);
            prop_assert_eq!(decode::groups(bytes).ok(), Some(s.groups));
            prop_assert_eq!(decode::sigmasks(bytes).ok(), Some(s.sigmasks));
        }
    }

    #[test]
    fn well_formed_status_round_trips(
        name in "\\PC{0,20}",
        umask in proptest::option::of(0u32..=0o7777),
        zombie in any::<bool>(),
        groups in proptest::collection::vec(any::<u32>(), 0..70),
        masks in any::<[u64; 5]>(),
    ) {
        let bytes = encode(&name, umask, if zombie { 'Z' } else { 'S' }, &groups, masks);
        let s = decode::status(&bytes).unwrap();
        prop_assert_eq!(s.umask, umask);
        prop_assert_eq!(s.zombie, zombie);
        prop_assert_eq!(&s.groups, &groups);
        let set = |m: u64| Some(SigSet::from_bits(u128::from(m)));
        prop_assert_eq!(s.sigmasks.pending, set(masks[0]));
        prop_assert_eq!(s.sigmasks.process_pending, set(masks[1]));
        prop_assert_eq!(s.sigmasks.blocked, set(masks[2]));
        prop_assert_eq!(s.sigmasks.ignored, set(masks[3]));
        prop_assert_eq!(s.sigmasks.caught, set(masks[4]));
        prop_assert_eq!(decode::umask_or_zombie(&bytes).unwrap(), (umask, zombie));
        prop_assert_eq!(decode::groups(&bytes).unwrap(), groups);
    }
}
