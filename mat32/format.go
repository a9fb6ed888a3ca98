package mat32

import (
	"fmt"
	"strings"
)

// Formatted returns a fmt.Formatter that prints m in rows and aligned
// columns, in the style of gonum's mat.Formatted:
//
//	⎡1  2⎤
//	⎣3  4⎦
//
// The verb and flags apply to each element (%v prints as %g). It is meant
// for small matrices: every element is printed.
func Formatted(m Matrix) fmt.Formatter { return formatter{m} }

type formatter struct{ m Matrix }

func (f formatter) Format(fs fmt.State, verb rune) {
	r, c := f.m.Dims()
	if verb == 'v' {
		verb = 'g'
	}
	spec := "%"
	for _, flag := range "+-# 0" {
		if fs.Flag(int(flag)) {
			spec += string(flag)
		}
	}
	if w, ok := fs.Width(); ok {
		spec += fmt.Sprint(w)
	}
	if p, ok := fs.Precision(); ok {
		spec += fmt.Sprintf(".%d", p)
	}
	spec += string(verb)
	cells := make([][]string, r)
	width := make([]int, c)
	for i := range cells {
		cells[i] = make([]string, c)
		for j := range cells[i] {
			s := fmt.Sprintf(spec, f.m.At(i, j))
			cells[i][j] = s
			width[j] = max(width[j], len([]rune(s)))
		}
	}
	for i, row := range cells {
		left, right := "⎢", "⎥"
		switch {
		case r == 1:
			left, right = "[", "]"
		case i == 0:
			left, right = "⎡", "⎤"
		case i == r-1:
			left, right = "⎣", "⎦"
		}
		var b strings.Builder
		b.WriteString(left)
		for j, s := range row {
			if j > 0 {
				b.WriteString("  ")
			}
			b.WriteString(strings.Repeat(" ", width[j]-len([]rune(s))))
			b.WriteString(s)
		}
		b.WriteString(right)
		if i < r-1 {
			b.WriteString("\n")
		}
		fmt.Fprint(fs, b.String())
	}
}
