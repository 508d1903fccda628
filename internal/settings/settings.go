// Package settings holds what the packages' option structs share: a zero
// or negative setting stands for its default.
package settings

import "cmp"

// Or returns v if it is positive, else def.
func Or[T cmp.Ordered](v, def T) T {
	var zero T
	if v <= zero {
		return def
	}
	return v
}
