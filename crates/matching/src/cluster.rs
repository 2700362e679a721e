//! Clustering: records linked by pairs above a probability threshold form
//! connected components (the same person across several records).

/// Union–find with path halving and union by size.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    /// Representative of `x`.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    /// Joins the sets of `a` and `b`.
    pub fn union(&mut self, a: u32, b: u32) {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
    }

    /// Cluster id (smallest member index) for every element.
    pub fn cluster_ids(&mut self) -> Vec<u32> {
        let n = self.parent.len();
        let mut min_of_root = vec![u32::MAX; n];
        for i in 0..n as u32 {
            let r = self.find(i) as usize;
            min_of_root[r] = min_of_root[r].min(i);
        }
        (0..n as u32)
            .map(|i| min_of_root[self.find(i) as usize])
            .collect()
    }
}

/// Connected components of `n` records over the edges with probability
/// at or above `threshold`. Returns one cluster id per record.
pub fn cluster_pairs(
    n: usize,
    edges: impl IntoIterator<Item = (u32, u32, f64)>,
    threshold: f64,
) -> Vec<u32> {
    let mut uf = UnionFind::new(n);
    for (a, b, p) in edges {
        if p >= threshold {
            uf.union(a, b);
        }
    }
    uf.cluster_ids()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        let ids = cluster_pairs(
            6,
            [(0, 1, 0.99), (1, 2, 0.95), (3, 4, 0.4), (4, 5, 0.97)],
            0.9,
        );
        assert_eq!(ids, vec![0, 0, 0, 3, 4, 4]);
    }
}
