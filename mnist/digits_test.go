package mnist

import (
	"slices"
	"strings"
	"testing"
)

// tinySet has six 1×2 images whose first pixel is the image index and
// second the digit.
func tinySet() *Set {
	digits := []int{5, 8, 3, 8, 5, 1}
	s := &Set{Digits: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, N: len(digits), Rows: 1, Cols: 2}
	for i, d := range digits {
		s.Images = append(s.Images, float32(i), float32(d))
		s.Labels = append(s.Labels, d)
	}
	return s
}

func TestFilter(t *testing.T) {
	s := tinySet()
	f, err := s.Filter([]int{8, 5})
	if err != nil {
		t.Fatal(err)
	}
	if f.N != 4 || f.Rows != 1 || f.Cols != 2 || !slices.Equal(f.Digits, []int{8, 5}) {
		t.Fatalf("got N %d, %d×%d, digits %v", f.N, f.Rows, f.Cols, f.Digits)
	}
	if want := []int{1, 0, 0, 1}; !slices.Equal(f.Labels, want) {
		t.Errorf("labels %v, want %v (8 → 0, 5 → 1)", f.Labels, want)
	}
	if want := []float32{0, 5, 1, 8, 3, 8, 4, 5}; !slices.Equal(f.Images, want) {
		t.Errorf("images %v, want %v (original order)", f.Images, want)
	}
	if !slices.Equal(s.Labels, []int{5, 8, 3, 8, 5, 1}) {
		t.Errorf("Filter changed its receiver: labels %v", s.Labels)
	}
	// Filtering a filtered set takes original digits.
	g, err := f.Filter([]int{5})
	if err != nil {
		t.Fatal(err)
	}
	if g.N != 2 || !slices.Equal(g.Labels, []int{0, 0}) || !slices.Equal(g.Images, []float32{0, 5, 4, 5}) || !slices.Equal(g.Digits, []int{5}) {
		t.Errorf("refilter: N %d, labels %v, images %v, digits %v", g.N, g.Labels, g.Images, g.Digits)
	}
}

func TestFilterErrors(t *testing.T) {
	s := tinySet()
	f, _ := s.Filter([]int{5, 8})
	broken := tinySet()
	broken.Labels[2] = 10
	for _, c := range []struct {
		name   string
		s      *Set
		digits []int
		want   string
	}{
		{"empty", s, nil, "no digits to keep"},
		{"repeated", s, []int{5, 8, 5}, "digit 5 is listed twice"},
		{"negative", s, []int{-1}, "digit -1 is out of range"},
		{"ten", s, []int{10}, "digit 10 is out of range"},
		{"not in set", f, []int{3}, "digit 3 is not in this set, which holds [5 8]"},
		{"bad label", broken, []int{5}, "label 10 of image 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.s.Filter(c.digits)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Filter(%v): error %v, want one saying %q", c.digits, err, c.want)
			}
		})
	}
}

func TestParseDigits(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int
		err  string
	}{
		{"5,8", []int{5, 8}, ""},
		{" 8 , 5 ", []int{8, 5}, ""},
		{"0", []int{0}, ""},
		{"all", []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, ""},
		{"", nil, "empty digit list"},
		{"5,,8", nil, `"" in "5,,8" is not a digit`},
		{"5,x", nil, `"x" in "5,x" is not a digit`},
		{"58", nil, `"58" in "58" is not a digit`},
		{"5,-1", nil, `"-1" in "5,-1" is not a digit`},
		{"+5", nil, `"+5" in "+5" is not a digit`},
		{"5,8,5", nil, `digit 5 is listed twice in "5,8,5"`},
	} {
		got, err := ParseDigits(c.in)
		if c.err == "" {
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("ParseDigits(%q) = %v, %v; want %v", c.in, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseDigits(%q): error %v, want one saying %q", c.in, err, c.err)
		}
	}
}
