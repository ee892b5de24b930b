//! A binary min-heap of source ids ordered by a caller-given comparison, for
//! k-way merges whose sources the heap itself cannot borrow.

pub(crate) struct Heap {
    ids: Vec<usize>,
}

impl Heap {
    pub fn new() -> Heap {
        Heap { ids: Vec::new() }
    }

    /// The smallest id, without removing it.
    pub fn peek(&self) -> Option<usize> {
        self.ids.first().copied()
    }

    pub fn push(&mut self, id: usize, less: impl Fn(usize, usize) -> bool) {
        self.ids.push(id);
        let mut i = self.ids.len() - 1;
        while i > 0 {
            let parent = (i - 1) / 2;
            if !less(self.ids[i], self.ids[parent]) {
                break;
            }
            self.ids.swap(i, parent);
            i = parent;
        }
    }

    pub fn pop(&mut self, less: impl Fn(usize, usize) -> bool) -> Option<usize> {
        if self.ids.is_empty() {
            return None;
        }
        let top = self.ids.swap_remove(0);
        let n = self.ids.len();
        let mut i = 0;
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut m = i;
            if l < n && less(self.ids[l], self.ids[m]) {
                m = l;
            }
            if r < n && less(self.ids[r], self.ids[m]) {
                m = r;
            }
            if m == i {
                break;
            }
            self.ids.swap(i, m);
            i = m;
        }
        Some(top)
    }
}

#[cfg(test)]
mod tests {
    use super::Heap;

    #[test]
    fn pops_in_order_with_ties_by_id() {
        let keys = [5, 3, 9, 3, 1, 7, 5, 0, 8, 3];
        let less = |a: usize, b: usize| (keys[a], a) < (keys[b], b);
        let mut h = Heap::new();
        for i in 0..keys.len() {
            h.push(i, less);
        }
        let mut out = Vec::new();
        while let Some(i) = h.pop(less) {
            out.push((keys[i], i));
        }
        let mut want: Vec<(i32, usize)> = keys.iter().copied().zip(0..).collect();
        want.sort();
        assert_eq!(out, want);
        assert_eq!(h.peek(), None);
    }
}
