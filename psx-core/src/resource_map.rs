//! A map keyed by [`Resource`]: a process's limits, and what it uses of them.

use std::fmt;

use crate::Resource;

/// A map from [`Resource`] to `V`, in ascending resource order (the order of
/// [`Resource::ALL`]), with the `BTreeMap` methods a reader of limits uses: `get`,
/// indexing, `iter`, `keys`, `values`, `contains_key`, `insert`, `remove`, `len`.
///
/// Kept as one vector sorted by resource, so a process's limits are one allocation: a
/// `BTreeMap` of a Linux process's sixteen limits took three nodes and a bulk build,
/// which cost a whole-machine scan about a twentieth of its time. `From` converts it to
/// and from a `BTreeMap`. As JSON, an object keyed by resource name (`{"nofile": ..}`).
///
/// ```
/// use psx_core::{Resource, ResourceMap};
///
/// let used: ResourceMap<u64> = [(Resource::Nofile, 12), (Resource::Cpu, 3)].into_iter().collect();
/// assert_eq!(used[&Resource::Nofile], 12);
/// assert_eq!(used.keys().copied().collect::<Vec<_>>(), [Resource::Cpu, Resource::Nofile]);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResourceMap<V> {
    /// Ascending by resource, each resource at most once.
    entries: Vec<(Resource, V)>,
}

impl<V> ResourceMap<V> {
    /// An empty map.
    pub const fn new() -> Self {
        ResourceMap {
            entries: Vec::new(),
        }
    }

    /// An empty map with room for `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        ResourceMap {
            entries: Vec::with_capacity(capacity),
        }
    }

    fn find(&self, resource: &Resource) -> Result<usize, usize> {
        self.entries.binary_search_by(|(r, _)| r.cmp(resource))
    }

    /// The value for `resource`, if any.
    pub fn get(&self, resource: &Resource) -> Option<&V> {
        let i = self.find(resource).ok()?;
        Some(&self.entries[i].1)
    }

    /// The value for `resource`, if any, to change.
    pub fn get_mut(&mut self, resource: &Resource) -> Option<&mut V> {
        let i = self.find(resource).ok()?;
        Some(&mut self.entries[i].1)
    }

    /// Whether the map has `resource`.
    pub fn contains_key(&self, resource: &Resource) -> bool {
        self.find(resource).is_ok()
    }

    /// Sets `resource`'s value, returning the one it replaces.
    pub fn insert(&mut self, resource: Resource, value: V) -> Option<V> {
        match self.find(&resource) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (resource, value));
                None
            }
        }
    }

    /// Takes `resource` out of the map, returning its value.
    pub fn remove(&mut self, resource: &Resource) -> Option<V> {
        let i = self.find(resource).ok()?;
        Some(self.entries.remove(i).1)
    }

    /// How many resources the map has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map has no resource.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The resources and their values, ascending by resource.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter(self.entries.iter())
    }

    /// The resources, ascending.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Resource> + ExactSizeIterator {
        self.entries.iter().map(|(r, _)| r)
    }

    /// The values, in ascending order of their resources.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The map of `entries`, as [`FromIterator`] makes it, keeping their allocation.
    pub fn from_vec(mut entries: Vec<(Resource, V)>) -> Self {
        // Backends give their limits in order: then this is one pass.
        if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
            // Stable, so of equal resources the last given stays last; then each run of
            // equal resources is cut to its first entry holding the last one's value.
            entries.sort_by_key(|&(r, _)| r);
            entries.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    std::mem::swap(&mut later.1, &mut kept.1);
                }
                same
            });
        }
        ResourceMap { entries }
    }
}

impl<V> Default for ResourceMap<V> {
    fn default() -> Self {
        ResourceMap::new()
    }
}

/// As a `BTreeMap` builds from pairs: a resource given twice keeps its last value.
impl<V> FromIterator<(Resource, V)> for ResourceMap<V> {
    fn from_iter<I: IntoIterator<Item = (Resource, V)>>(pairs: I) -> Self {
        ResourceMap::from_vec(pairs.into_iter().collect())
    }
}

impl<V> Extend<(Resource, V)> for ResourceMap<V> {
    fn extend<I: IntoIterator<Item = (Resource, V)>>(&mut self, pairs: I) {
        for (resource, value) in pairs {
            self.insert(resource, value);
        }
    }
}

/// Panics if `resource` is not in the map, as a `BTreeMap` does.
impl<V> std::ops::Index<&Resource> for ResourceMap<V> {
    type Output = V;

    fn index(&self, resource: &Resource) -> &V {
        self.get(resource)
            .unwrap_or_else(|| panic!("no {resource} in the map"))
    }
}

/// The entries of a [`ResourceMap`], by reference: `(&Resource, &V)`, as a `BTreeMap`'s.
#[derive(Debug, Clone)]
pub struct Iter<'a, V>(std::slice::Iter<'a, (Resource, V)>);

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a Resource, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(r, v)| (r, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<V> DoubleEndedIterator for Iter<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(r, v)| (r, v))
    }
}

impl<V> ExactSizeIterator for Iter<'_, V> {}

impl<'a, V> IntoIterator for &'a ResourceMap<V> {
    type Item = (&'a Resource, &'a V);
    type IntoIter = Iter<'a, V>;

    fn into_iter(self) -> Iter<'a, V> {
        self.iter()
    }
}

impl<V> IntoIterator for ResourceMap<V> {
    type Item = (Resource, V);
    type IntoIter = std::vec::IntoIter<(Resource, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<V: fmt::Debug> fmt::Debug for ResourceMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V> From<ResourceMap<V>> for std::collections::BTreeMap<Resource, V> {
    fn from(map: ResourceMap<V>) -> Self {
        map.entries.into_iter().collect()
    }
}

impl<V> From<std::collections::BTreeMap<Resource, V>> for ResourceMap<V> {
    fn from(map: std::collections::BTreeMap<Resource, V>) -> Self {
        ResourceMap {
            entries: map.into_iter().collect(),
        }
    }
}

impl<V, const N: usize> From<[(Resource, V); N]> for ResourceMap<V> {
    fn from(pairs: [(Resource, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::ResourceMap;
    use crate::Resource;
    use serde::de::{MapAccess, Visitor};
    use serde::ser::SerializeMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::fmt;
    use std::marker::PhantomData;

    /// An object keyed by resource name, ascending by resource.
    impl<V: Serialize> Serialize for ResourceMap<V> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(self.len()))?;
            for (resource, value) in self {
                map.serialize_entry(resource, value)?;
            }
            map.end()
        }
    }

    impl<'de, V: Deserialize<'de>> Deserialize<'de> for ResourceMap<V> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct MapVisitor<V>(PhantomData<V>);
            impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
                type Value = ResourceMap<V>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an object keyed by resource name")
                }
                fn visit_map<A: MapAccess<'de>>(
                    self,
                    mut access: A,
                ) -> Result<Self::Value, A::Error> {
                    let mut pairs = Vec::with_capacity(access.size_hint().unwrap_or(0));
                    while let Some(pair) = access.next_entry::<Resource, V>()? {
                        pairs.push(pair);
                    }
                    Ok(pairs.into_iter().collect())
                }
            }
            d.deserialize_map(MapVisitor(PhantomData))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Every operation agrees with a `BTreeMap` given the same pairs.
    #[test]
    fn behaves_as_a_btreemap() {
        let pairs = [
            (Resource::Nofile, 1),
            (Resource::Cpu, 2),
            (Resource::Nofile, 3),
            (Resource::Rtprio, 4),
            (Resource::As, 5),
        ];
        let ours: ResourceMap<i32> = pairs.into_iter().collect();
        let theirs: BTreeMap<Resource, i32> = pairs.into_iter().collect();
        let listed = |m: &ResourceMap<i32>| m.iter().map(|(r, v)| (*r, *v)).collect::<Vec<_>>();
        assert_eq!(
            listed(&ours),
            theirs.clone().into_iter().collect::<Vec<_>>()
        );
        assert_eq!(ours[&Resource::Nofile], 3);
        assert_eq!(ours.len(), 4);
        assert_eq!(BTreeMap::from(ours.clone()), theirs);
        assert_eq!(ResourceMap::from(theirs), ours);
        let mut changed = ours.clone();
        assert_eq!(changed.insert(Resource::Core, 6), None);
        assert_eq!(changed.insert(Resource::Cpu, 7), Some(2));
        assert_eq!(changed.remove(&Resource::As), Some(5));
        assert_eq!(changed.get(&Resource::As), None);
        *changed.get_mut(&Resource::Rtprio).unwrap() += 1;
        assert_eq!(
            listed(&changed),
            [
                (Resource::Cpu, 7),
                (Resource::Core, 6),
                (Resource::Nofile, 3),
                (Resource::Rtprio, 5)
            ]
        );
        assert!(changed.contains_key(&Resource::Core) && !changed.is_empty());
        assert_eq!(format!("{ours:?}"), "{Cpu: 2, Nofile: 3, As: 5, Rtprio: 4}");
    }

    #[cfg(feature = "serde")]
    #[test]
    fn json_is_an_object_keyed_by_resource_name() {
        let map = ResourceMap::from([(Resource::Nofile, 1u64), (Resource::Cpu, 2)]);
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(json, r#"{"cpu":2,"nofile":1}"#);
        let back: ResourceMap<u64> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, map);
        assert!(serde_json::from_str::<ResourceMap<u64>>(r#"{"bogus":1}"#).is_err());
    }
}
