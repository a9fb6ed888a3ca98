package mnist

import (
	"strconv"
	"strings"
)

// Filter returns a new Set with the images of the given digits only, in
// their original order, relabelled so that digits[i] becomes class i: for
// digits [5 8], a 5 gets label 0 and an 8 label 1. The digits are original
// digits (values in s.Digits), not class indices. An empty list, a repeated
// digit, one outside 0..9 or one that s does not hold is an error. s is not
// changed.
func (s *Set) Filter(digits []int) (*Set, error) {
	if len(digits) == 0 {
		return nil, errorf("no digits to keep; name at least one digit 0..9")
	}
	px := s.Pixels()
	if len(s.Labels) != s.N || len(s.Images) != s.N*px {
		return nil, errorf("inconsistent Set: N = %d, %d labels, %d pixel values for %d×%d images; build Sets with Load", s.N, len(s.Labels), len(s.Images), s.Rows, s.Cols)
	}
	// class maps a class of s to its class in the result, or -1.
	class := make([]int, len(s.Digits))
	for i := range class {
		class[i] = -1
	}
	for i, d := range digits {
		if d < 0 || d > 9 {
			return nil, errorf("digit %d is out of range; digits are 0..9", d)
		}
		j := indexOf(s.Digits, d)
		if j < 0 {
			return nil, errorf("digit %d is not in this set, which holds %v; filter the full set instead", d, s.Digits)
		}
		if class[j] >= 0 {
			return nil, errorf("digit %d is listed twice in %v; name each digit once", d, digits)
		}
		class[j] = i
	}
	n := 0
	for i, l := range s.Labels {
		if l < 0 || l >= len(class) {
			return nil, errorf("label %d of image %d is not an index into Digits %v; the Set is inconsistent", l, i, s.Digits)
		}
		if class[l] >= 0 {
			n++
		}
	}
	out := &Set{
		Images: make([]float32, 0, n*px),
		Labels: make([]int, 0, n),
		Digits: append([]int(nil), digits...),
		N:      n, Rows: s.Rows, Cols: s.Cols,
	}
	for i, l := range s.Labels {
		if c := class[l]; c >= 0 {
			out.Images = append(out.Images, s.Images[i*px:(i+1)*px]...)
			out.Labels = append(out.Labels, c)
		}
	}
	return out, nil
}

func indexOf(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// ParseDigits parses a comma-separated list of digits, such as "5,8", into
// [5 8]; "all" means every digit, 0..9. Spaces around the digits are
// allowed. An empty list, a token that is not a digit 0..9 and a repeated
// digit are errors that name the token.
func ParseDigits(s string) ([]int, error) {
	if strings.TrimSpace(s) == "all" {
		return []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, nil
	}
	if strings.TrimSpace(s) == "" {
		return nil, errorf("empty digit list; give digits 0..9 separated by commas, such as 5,8, or all")
	}
	var digits []int
	var seen [10]bool
	for tok := range strings.SplitSeq(s, ",") {
		t := strings.TrimSpace(tok)
		d, err := strconv.Atoi(t)
		if err != nil || d < 0 || d > 9 || len(t) != 1 {
			return nil, errorf("%q in %q is not a digit 0..9; give digits separated by commas, such as 5,8, or all", t, s)
		}
		if seen[d] {
			return nil, errorf("digit %d is listed twice in %q; name each digit once", d, s)
		}
		seen[d] = true
		digits = append(digits, d)
	}
	return digits, nil
}
