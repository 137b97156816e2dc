package data

import (
	"fmt"
	"slices"
)

// Order returns the order of the current epoch — the indices of the
// examples, a copy — and how many of them earlier batches have served.
// With SetOrder on a Loader over the same data set, it lets a training
// run stop and continue exactly.
func (l *Loader) Order() (perm []int, pos int) { return slices.Clone(l.perm), l.pos }

// SetOrder continues an epoch saved by Order: the next batch starts at
// perm[pos]. It returns an error, and changes nothing, unless perm is a
// permutation of the data set's indices and pos lies in [0, len(perm)].
func (l *Loader) SetOrder(perm []int, pos int) error {
	if len(perm) != len(l.perm) {
		return fmt.Errorf("an order of %d examples for a data set of %d", len(perm), len(l.perm))
	}
	if pos < 0 || pos > len(perm) {
		return fmt.Errorf("position %d outside [0, %d]", pos, len(perm))
	}
	seen := make([]bool, len(perm))
	for i, p := range perm {
		if p < 0 || p >= len(perm) || seen[p] {
			return fmt.Errorf("the order is not a permutation: index %d at %d", p, i)
		}
		seen[p] = true
	}
	copy(l.perm, perm)
	l.pos = pos
	return nil
}
