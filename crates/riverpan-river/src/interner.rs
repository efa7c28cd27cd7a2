//! String interning for distribution and module names.
//!
//! Building the river of CPAN interns some 600,000 names (every requirement and every index
//! entry); `HashMap<String, u32>` with SipHash and a second copy of each name made that the
//! slowest part of the full computation.  This table stores each name once and probes an array
//! of ids with a cheap multiplicative hash; hash flooding is no concern for names that come from
//! the repository's own index.

/// Names numbered `0..len()` in the order they were first seen.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    names: Vec<String>,
    /// Open addressing, linear probing: `id + 1`, or 0 for an empty slot.  The length is zero or
    /// a power of two at least twice `names.len()`.
    slots: Vec<u32>,
}

fn hash(name: &str) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let bytes = name.as_bytes();
    let mut h: u64 = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    // The probe uses the low bits; fold the well-mixed high bits into them.
    h ^ (h >> 29) ^ (h >> 47)
}

impl Interner {
    /// The id of `name`, if it was interned.
    pub(crate) fn get(&self, name: &str) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = hash(name) as usize & mask;
        loop {
            match self.slots[at] {
                0 => return None,
                slot if self.names[slot as usize - 1] == name => return Some(slot - 1),
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// The id of `name`, interning it if new.  The second value says whether it was new.
    pub(crate) fn intern(&mut self, name: String) -> (u32, bool) {
        if self.slots.len() < 2 * (self.names.len() + 1) {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut at = hash(&name) as usize & mask;
        loop {
            match self.slots[at] {
                0 => {
                    let id = self.names.len() as u32;
                    self.names.push(name);
                    self.slots[at] = id + 1;
                    return (id, true);
                }
                slot if self.names[slot as usize - 1] == name => return (slot - 1, false),
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// The name with id `id`.
    pub(crate) fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(64);
        let mask = size - 1;
        let mut slots = vec![0u32; size];
        for (id, name) in self.names.iter().enumerate() {
            let mut at = hash(name) as usize & mask;
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = id as u32 + 1;
        }
        self.slots = slots;
    }
}

#[cfg(test)]
mod tests {
    use super::Interner;

    #[test]
    fn ids_are_stable_and_lookups_exact() {
        let mut interner = Interner::default();
        let names: Vec<String> = (0..5000).map(|i| format!("Foo::Bar{i}")).collect();
        for (i, name) in names.iter().enumerate() {
            assert_eq!(interner.intern(name.clone()), (i as u32, true));
        }
        for (i, name) in names.iter().enumerate() {
            assert_eq!(interner.get(name), Some(i as u32));
            assert_eq!(interner.intern(name.clone()), (i as u32, false));
            assert_eq!(interner.name(i as u32), name);
        }
        assert_eq!(interner.get("Foo::Bar"), None);
        assert_eq!(interner.get(""), None);
    }
}
