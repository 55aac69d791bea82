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
        for field in [decode::Field::Umask, decode::Field::Groups, decode::Field::Sigmasks] {
            let _ = decode::status_for(&bytes, field);
        }
        let _ = decode::groups(&bytes);
        let _ = decode::sigmasks(&bytes);
    }

    #[test]
    fn arbitrary_lines_never_panic(lines in proptest::collection::vec(
        ("(Umask|Groups|SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt|State|Name|Tgid|Threads)", "[ \\t0-9a-fA-FxZ-]{0,40}"), 0..20)) {
        let text: String = lines.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let _ = decode::status(text.as_bytes());
    }

    #[test]
    fn one_pass_and_single_field_decoders_agree(lines in proptest::collection::vec(
        ("(Umask|Groups|SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt|State|Name|Uid|Tgid|Threads|Ngid)", "[ \t0-9a-fA-FxZ-]{0,40}"), 0..20)) {
        let text: String = lines.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let bytes = text.as_bytes();
        let all = decode::status(bytes);
        prop_assert_eq!(all.identity.zombie, decode::is_zombie(bytes));
        prop_assert_eq!(&all.umask, &decode::umask(bytes));
        prop_assert_eq!(&all.groups, &decode::groups(bytes));
        prop_assert_eq!(&all.sigmasks, &decode::sigmasks(bytes));
        // A one-field read finds what the full read finds, field and identity alike.
        let umask = decode::status_for(bytes, decode::Field::Umask);
        prop_assert_eq!(umask.identity, all.identity);
        prop_assert_eq!(&umask.umask, &all.umask);
        let groups = decode::status_for(bytes, decode::Field::Groups);
        prop_assert_eq!(groups.identity, all.identity);
        prop_assert_eq!(&groups.groups, &all.groups);
        let name = decode::status_for(bytes, decode::Field::Name);
        prop_assert_eq!(name.identity, all.identity);
        prop_assert_eq!(&name.name, &all.name);
        let masks = decode::status_for(bytes, decode::Field::Sigmasks);
        prop_assert_eq!(masks.identity, all.identity);
        prop_assert_eq!(&masks.sigmasks, &all.sigmasks);
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
        let s = decode::status(&bytes);
        prop_assert_eq!(s.umask, Ok(umask));
        prop_assert_eq!(s.identity.zombie, zombie);
        prop_assert_eq!(s.identity.tgid, Some(1));
        prop_assert_eq!(s.identity.threads, Some(1));
        prop_assert_eq!(s.groups.as_ref(), Ok(&groups));
        let m = s.sigmasks.unwrap();
        let set = |m: u64| Some(SigSet::from_bits(u128::from(m)));
        prop_assert_eq!(m.pending, set(masks[0]));
        prop_assert_eq!(m.process_pending, set(masks[1]));
        prop_assert_eq!(m.blocked, set(masks[2]));
        prop_assert_eq!(m.ignored, set(masks[3]));
        prop_assert_eq!(m.caught, set(masks[4]));
        prop_assert_eq!(decode::umask(&bytes), Ok(umask));
        prop_assert_eq!(decode::groups(&bytes).unwrap(), groups);
    }
}
