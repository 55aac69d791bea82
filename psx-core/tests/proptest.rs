//! psx-core's conversions under arbitrary values.
#![cfg(not(miri))]

use proptest::prelude::*;
use psx_core::{Limit, RLimit, Resource, SigSet};

proptest! {
    #[test]
    fn sigset_words_and_bits_agree(words in any::<[u32; 4]>()) {
        let set = SigSet::from_words(&words);
        let bits = set.bits();
        for (i, w) in words.iter().enumerate() {
            prop_assert_eq!((bits >> (32 * i)) as u32, *w);
        }
        let rebuilt: SigSet = set.iter().collect();
        prop_assert_eq!(rebuilt, set);
        prop_assert_eq!(set.iter().count(), set.len());
        for sig in set.iter() {
            prop_assert!((1..=128).contains(&sig) && set.contains(sig));
        }
    }

    #[test]
    fn limits_round_trip_through_every_infinity(v in any::<u64>(), inf in prop_oneof![Just(u64::MAX), Just(i64::MAX as u64)]) {
        let limit = Limit::from_raw(v, inf);
        prop_assert_eq!(limit == Limit::Unlimited, v >= inf);
        prop_assert_eq!(Limit::from_raw(limit.to_raw(inf), inf), limit);
        prop_assert_eq!(limit.to_string().parse::<Limit>().unwrap(), limit);
    }

    #[test]
    fn validate_is_soft_at_most_hard(a in proptest::option::of(any::<u64>()), b in proptest::option::of(any::<u64>())) {
        let l = |v: Option<u64>| v.map_or(Limit::Unlimited, Limit::Value);
        let pair = RLimit::new(l(a), l(b));
        prop_assert_eq!(pair.validate().is_ok(), pair.soft <= pair.hard);
    }

    #[test]
    fn resource_names_parse_back(i in 0..Resource::ALL.len(), upper in any::<bool>()) {
        let r = Resource::ALL[i];
        let name = if upper { r.name().to_uppercase() } else { r.name().to_string() };
        prop_assert_eq!(name.parse::<Resource>().unwrap(), r);
    }

    #[test]
    fn any_text_parses_or_errs(s in "\\PC{0,30}") {
        let _ = s.parse::<Limit>();
        let _ = s.parse::<Resource>();
    }
}
