//! What the generated-template tests share.

/// A small deterministic generator (xorshift), so a failing case can be found again.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// One of `from`.
    #[allow(dead_code)] // not every test binary picks
    pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }

    /// A small integer, -20 to 20.
    #[allow(dead_code)]
    pub fn int(&mut self) -> i64 {
        (self.next() % 41) as i64 - 20
    }
}
