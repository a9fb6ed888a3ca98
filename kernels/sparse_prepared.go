package kernels

import (
	"fmt"
	mathbits "math/bits"
)

// SparseA is a CSR matrix S (m×k) prepared once for many products, as
// Packed is for the GEMM: a first layer's input X, whose forward product
// X·W₁ᵀ is SparseAMM and whose weight gradient dZᵀ·X is SparseATMMTrans
// (from the same SparseA: no transpose of X), every step of a full-batch
// Fit, or a mini-batch's, twice. PrepareSparse fills it; the zero SparseA
// is empty.
//
// The prepared form puts the rows of S in groups of sparseGroup (4): in
// order, or, when PrepareSparse clusters them (rows taken by their
// number of nonzeros), each group a row and the rows among the next
// sparseClusterWindow that share the most of its columns. A group whose
// rows share enough of their columns is kept as the sorted union of its
// rows' columns with the four rows' values in each (0 where a row has
// none there): the products load each vector of B (of
// C for SparseATMMTrans) once for the four rows, as the dense
// micro-kernel does for six, instead of once per nonzero. A group whose
// union is mostly zeros (fewer than sparseGroupDensity of its 4·union
// values are nonzero), the last group when m is not a multiple of 4, and a
// group with a row whose columns do not strictly increase keep their rows
// in CSR form and take row-by-row kernels.
//
// Sums: SparseAMM's row i of C is the sum, in the row's order, of its
// nonzeros times rows of B, one sum over all the columns; SparseATMMTrans's
// element (j, p) is the sum of S[i,p]·B[i,j] over the rows i of S in the
// order of their groups (fused multiply-adds in the grouped kernels).
// Neither depends on the number of threads. Both agree with SparseMM
// (SparseMMTrans of Sᵀ) and the dense Sgemm within float32 rounding. The
// zeros of a group's union add 0·B terms: with B finite they change at
// most the sign of a zero sum; an infinite or NaN element of B that a row
// reads only through such a zero makes the results it meets NaN, as the
// dense Sgemm would (0·Inf), where SparseMM would skip it.
//
// A SparseA owns copies of S's columns and values: S may change or go once
// it is prepared. It holds about 20 bytes per column of a grouped union,
// 8 per nonzero of the other rows and 4 per row. Preparing is not safe
// concurrently with any other use of the same SparseA; products may share
// it.
type SparseA struct {
	m, k int
	nnz  int
	// The columns of S in kb blocks, block j from bounds[j] to
	// bounds[j+1], with about as many nonzeros each and at most about
	// sparseTileCols columns: SparseATMMTrans sums a block of C's columns
	// at a time.
	kb     int
	bounds []int
	// rows[r·g+i] is row i of group g (its slot r·g+i), then r·groupPrefetch
	// more (0), which the assembly prefetches past the last group.
	rows []int32
	// first[g] is -1 for a grouped group g, else the index in the row form
	// of its first row.
	first []int
	// The grouped form: group g's union columns in block j are gcols[p] for
	// p in [goffs[g·(kb+1)+j], goffs[g·(kb+1)+j+1]); row i's value in
	// column gcols[p] is gvals[r·p+i].
	goffs []int
	gcols []int32
	gvals []float32
	// The row form: the rows of the other groups, in slot order, in CSR
	// form, and, when all of their columns increase, rtab: row f's nonzeros
	// in block j start at rtab[f·(kb+1)+j].
	roffs []int
	rcols []int32
	rvals []float32
	rtab  []int
}

// sparseGroupDensity is the smallest share of nonzeros in a group's union
// (nonzeros over 4·union columns) for which a group takes the grouped
// kernels. Measured on the 2-vCPU Zen 3 VM, one thread: on random rows
// (784 columns, 196 of B) the forward product's two kernels cross at a
// union density of about 0.43 (grouped 19.3 ms against 26.9 row by row at
// 0.53, 15.2 against 11.8 at 0.34); the weight gradient's row form (an
// axpy a nonzero) is slower than the forward's, and on MNIST (clustered,
// most groups near 0.64) 0.3 ran as fast as 0.43 or faster. Hence 0.3.
const sparseGroupDensity = 0.3

// sparseClusterWindow is how many rows ahead clustering looks for the rows
// of a group. On MNIST 5 vs 8, with rows ordered by count, the unions keep
// 0.690, 0.708, 0.724, 0.738 and 0.749 of their values nonzero with
// windows of 64, 128, 256, 512 and 1024 rows, and clustering takes about
// as many steps as nonzeros × window (PrepareSparse 50–85, 60–130, 90–110,
// 240 and 360 ms on one thread). The two products are bound by their
// multiply-adds (the forward one ran as fast with every union column in
// the first 64 rows of B), so their time goes as the values. The ordering
// with a window of 128, against index order and 64 (0.639): 9–14% less
// time in each product (BenchmarkSparseMNIST, one thread, medians of 10
// alternated runs).
const sparseClusterWindow = 256

// cluster's bitmaps: at most sparseClusterWords words a row, and
// sparseClusterBits words in all (64 MiB).
const (
	sparseClusterWords = 64
	sparseClusterBits  = 1 << 23
)

// sparseTileCols is about the most columns of S a block of a SparseA
// holds: SparseATMMTrans sums a block's columns of C in a tile of that
// many rows, which stays in L2 while the rows of B stream by once.
const sparseTileCols = 1024

// Dims returns S's shape, m×k.
func (a *SparseA) Dims() (m, k int) { return a.m, a.k }

// Grouped returns how many rows of S take the grouped kernels, and how
// many values the grouped form holds (4 per union column, the explicit
// zeros included).
func (a *SparseA) Grouped() (rows, values int) {
	for _, f := range a.first {
		if f < 0 {
			rows += sparseGroup
		}
	}
	return rows, len(a.gvals)
}

// String describes a: its shape, nonzeros and grouped rows.
func (a *SparseA) String() string {
	rows, vals := a.Grouped()
	return fmt.Sprintf("SparseA %d×%d, %d nonzeros, %d rows grouped (%d values)", a.m, a.k, a.nnz, rows, vals)
}

// Release empties a and drops its buffers.
func (a *SparseA) Release() {
	if a != nil {
		*a = SparseA{}
	}
}

// PrepareSparse prepares S, m×k in CSR form (offs, cols, vals as SparseMM
// takes them), into a for SparseAMM and SparseATMMTrans and returns a; a
// nil a gets a new SparseA, and a's buffers are reused when large enough.
// With cluster, it groups rows that share columns (which costs about
// nonzeros × sparseClusterWindow steps: worth it for a matrix multiplied
// many times, such as a full batch), else consecutive rows. It panics as
// SparseMM does on malformed CSR, a column index out of [0, k) included.
func PrepareSparse(a *SparseA, m, k int, offs []int, cols []int32, vals []float32, cluster bool) *SparseA {
	checkSparse(m, 0, k, offs, cols, vals, nil, k, 1)
	checkColumns(m, k, offs, cols) // before a changes: a panic leaves it as it was
	if a == nil {
		a = new(SparseA)
	}
	r := sparseGroup
	a.m, a.k, a.nnz = m, k, offs[m]-offs[0]
	a.blocks(offs, cols)
	groups := (m + r - 1) / r
	a.rows = grow(a.rows, (groups+groupPrefetch)*r)
	clear(a.rows)
	if cluster {
		a.cluster(offs, cols, clusterBitmaps(m, k))
	} else {
		for i := range m {
			a.rows[i] = int32(i)
		}
	}
	a.first = grow(a.first, groups)
	a.goffs = grow(a.goffs, groups*(a.kb+1))
	a.gcols, a.gvals = a.gcols[:0], a.gvals[:0]
	a.roffs, a.rcols, a.rvals = append(a.roffs[:0], 0), a.rcols[:0], a.rvals[:0]
	sorted := true // the row form's columns all increase
	for g := range groups {
		rows := a.rows[g*r : min((g+1)*r, m)]
		tab := a.goffs[g*(a.kb+1) : (g+1)*(a.kb+1)]
		inc := increasing(offs, cols, rows)
		if len(rows) == r && inc && a.group(tab, offs, cols, vals, rows) {
			a.first[g] = -1
			continue
		}
		for j := range tab { // no grouped columns
			tab[j] = len(a.gcols)
		}
		a.first[g] = len(a.roffs) - 1
		for _, i := range rows {
			a.rcols = append(a.rcols, cols[offs[i]:offs[i+1]]...)
			a.rvals = append(a.rvals, vals[offs[i]:offs[i+1]]...)
			a.roffs = append(a.roffs, len(a.rcols))
		}
		sorted = sorted && inc
	}
	a.rtab = a.rtab[:0]
	if n := len(a.roffs) - 1; sorted && n > 0 {
		a.rtab = grow(a.rtab, n*(a.kb+1))
		for f := range n {
			row := a.rtab[f*(a.kb+1) : (f+1)*(a.kb+1)]
			p, end := a.roffs[f], a.roffs[f+1]
			for j := range a.kb {
				row[j] = p
				for limit := int32(a.bounds[j+1]); p < end && a.rcols[p] < limit; p++ {
				}
			}
			row[a.kb] = end
		}
	}
	return a
}

// ClusterOrder returns the rows of S (m×k in CSR form, as PrepareSparse
// takes it) in the order PrepareSparse with cluster puts them: its groups
// are the consecutive runs of sparseGroup, so PrepareSparse without
// cluster of S's rows taken in this order makes the same groups, with
// their rows in order. A caller that keeps its rows in that order (a
// Fit's full batch: its activations and targets) has SparseAMM write C's
// rows, and SparseATMMTrans read B's, one after another instead of all
// over C and B. dst is reused when large enough. It panics as
// PrepareSparse does on malformed CSR.
func ClusterOrder(dst []int32, m, k int, offs []int, cols []int32) []int32 {
	nonNegative("m", m)
	nonNegative("k", k)
	checkOffsets(m, offs, cols)
	checkColumns(m, k, offs, cols)
	a := SparseA{m: m, k: k, rows: grow(dst, m)}
	a.cluster(offs, cols, clusterBitmaps(m, k))
	return a.rows
}

// checkColumns panics naming the first column index of S (m rows, offs
// checked) that is not in [0, k).
func checkColumns(m, k int, offs []int, cols []int32) {
	for p := offs[0]; p < offs[m]; p++ {
		if c := cols[p]; c < 0 || int(c) >= k {
			badColumn(cols, p, k)
		}
	}
}

// cluster fills a.rows with the rows of S in groups of sparseGroup. It
// takes the rows in order of their number of nonzeros (fewest first, ties
// in index order): each group the first row not yet taken, then,
// sparseGroup−1 times, of the next sparseClusterWindow rows not taken, the
// one with the fewest columns that the group does not have yet (the first
// of those). A group's union is at least its widest row, so rows of about
// as many nonzeros waste fewer of its values: on MNIST 5 vs 8 the unions'
// share of nonzeros is 0.724 (0.639 in index order with a window of 64;
// see sparseClusterWindow).
//
// With bitmaps (see clusterBitmaps) it counts a candidate's new columns as
// the bits of its row's column bitmap outside the group's, a few words
// each, rather than by looking up each of its columns: about 200 ms become
// 20 ms for MNIST's 11,272 × 784 with a window of 64. Both count the same,
// so the groups are the same.
func (a *SparseA) cluster(offs []int, cols []int32, bitmaps bool) {
	m, r := a.m, sparseGroup
	taken := getInts(m) // 1 once the row order[i] is in a group
	defer putInts(taken)
	clear(taken)
	order := getInts(m) // the rows by their number of nonzeros
	defer putInts(order)
	byCount(order, offs, a.k)
	var mark []int // without bitmaps: g+1 for the columns of group g so far
	words := (a.k + 63) / 64
	var bits, group []uint64 // row i's columns: bits[i·words:(i+1)·words]; the group's
	if !bitmaps {
		mark = getInts(a.k)
		defer putInts(mark)
		clear(mark)
	} else {
		bits = make([]uint64, m*words)
		for i := range m {
			for p := offs[i]; p < offs[i+1]; p++ {
				bits[i*words+int(cols[p])/64] |= 1 << (cols[p] % 64)
			}
		}
		group = make([]uint64, words)
	}
	add := func(slot, pos int) { // the row order[pos] takes the slot
		i := order[pos]
		a.rows[slot] = int32(i)
		taken[pos] = 1
		if bits != nil {
			if slot%r == 0 {
				clear(group)
			}
			for w, b := range bits[i*words : (i+1)*words] {
				group[w] |= b
			}
			return
		}
		for p := offs[i]; p < offs[i+1]; p++ {
			mark[cols[p]] = slot/r + 1
		}
	}
	// fresh returns the number of row i's columns that group g does not
	// have yet.
	fresh := func(i, g int) int {
		n := 0
		if bits != nil {
			for w, b := range bits[i*words : (i+1)*words] {
				n += mathbits.OnesCount64(b &^ group[w])
			}
			return n
		}
		for p := offs[i]; p < offs[i+1]; p++ {
			if mark[cols[p]] != g {
				n++
			}
		}
		return n
	}
	next := 0 // no row of order before it is free
	for slot := 0; slot < m; {
		for taken[next] != 0 {
			next++
		}
		g := slot/r + 1
		add(slot, next)
		slot++
		for ; slot%r != 0 && slot < m; slot++ {
			best, fewest, seen := -1, 0, 0
			for i := next + 1; i < m && seen < sparseClusterWindow; i++ {
				if taken[i] != 0 {
					continue
				}
				seen++
				n := fresh(order[i], g)
				if best < 0 || n < fewest {
					best, fewest = i, n
				}
			}
			add(slot, best)
		}
	}
}

// byCount sets order to the rows of S (offs its m+1 row offsets, m =
// len(order), k columns) by their number of nonzeros, fewest first, ties
// in index order: a counting sort. A row of more than k (a column
// repeated) counts as k.
func byCount(order, offs []int, k int) {
	start := getInts(k + 2) // start[n+1]: the rows of fewer than n nonzeros so far
	defer putInts(start)
	clear(start)
	for i := range order {
		start[min(offs[i+1]-offs[i], k)+1]++
	}
	for n := 1; n < len(start); n++ {
		start[n] += start[n-1]
	}
	for i := range order {
		n := min(offs[i+1]-offs[i], k)
		order[start[n]] = i
		start[n]++
	}
}

// clusterBitmaps reports whether cluster counts new columns with bitmaps
// for S of m rows and k columns: when S is narrow enough (k ≤
// 64·sparseClusterWords) and its row bitmaps small enough
// (sparseClusterBits words).
func clusterBitmaps(m, k int) bool {
	words := (k + 63) / 64
	return words <= sparseClusterWords && m*words <= sparseClusterBits
}

// blocks cuts S's columns into a.kb blocks with about as many nonzeros
// each, at least one column each.
func (a *SparseA) blocks(offs []int, cols []int32) {
	count := getInts(a.k)
	defer putInts(count)
	clear(count)
	for p := offs[0]; p < offs[a.m]; p++ {
		count[cols[p]]++
	}
	want := max(1, (a.k+sparseTileCols-1)/sparseTileCols)
	per := (a.nnz + want - 1) / want
	a.bounds = append(a.bounds[:0], 0)
	sum := 0
	for c := 0; c+1 < a.k && len(a.bounds) < want; c++ {
		sum += count[c]
		if sum >= len(a.bounds)*per || a.k-(c+1) <= want-len(a.bounds) || c+1-a.bounds[len(a.bounds)-1] >= 2*sparseTileCols {
			a.bounds = append(a.bounds, c+1)
		}
	}
	a.bounds = append(a.bounds, a.k)
	a.kb = len(a.bounds) - 1
}

// grow returns s with length n, reusing its array when large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// increasing reports whether the columns of each of the rows strictly
// increase.
func increasing(offs []int, cols []int32, rows []int32) bool {
	for _, r := range rows {
		for p := offs[r] + 1; p < offs[r+1]; p++ {
			if cols[p] <= cols[p-1] {
				return false
			}
		}
	}
	return true
}

// group appends the union of the columns of the rows (sparseGroup of them, each
// increasing) to the grouped form, with tab[j] where block j starts, and
// reports whether it kept them: it takes them back when fewer than
// sparseGroupDensity of the union's values are nonzero.
func (a *SparseA) group(tab []int, offs []int, cols []int32, vals []float32, rows []int32) bool {
	start := len(a.gcols)
	var p, end [sparseGroup]int
	nnz := 0
	r := sparseGroup
	for i, row := range rows {
		p[i], end[i] = offs[row], offs[row+1]
		nnz += end[i] - p[i]
	}
	const none = int32(1<<31 - 1)
	j := 0 // the blocks before j have their start
	for {
		c := none
		for i := range r {
			if p[i] < end[i] && cols[p[i]] < c {
				c = cols[p[i]]
			}
		}
		if c == none {
			break
		}
		for ; j < a.kb && int(c) >= a.bounds[j]; j++ {
			tab[j] = len(a.gcols)
		}
		var v [sparseGroup]float32
		for i := range r {
			if p[i] < end[i] && cols[p[i]] == c {
				v[i] = vals[p[i]]
				p[i]++
			}
		}
		a.gcols = append(a.gcols, c)
		a.gvals = append(a.gvals, v[:r]...)
	}
	for ; j <= a.kb; j++ {
		tab[j] = len(a.gcols)
	}
	if u := len(a.gcols) - start; u > 0 && float64(nnz) < sparseGroupDensity*float64(r*u) {
		a.gcols, a.gvals = a.gcols[:start], a.gvals[:r*start]
		return false
	}
	return true
}

// SparseAMM computes C = act(alpha·S·B + beta·C + bias) as SparseMM does,
// for S prepared in a (m×k): B is k×n, C m×n. It panics naming the
// argument when a size or length is wrong or a is not prepared.
func SparseAMM(n int, alpha float32, a *SparseA, b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	Default().SparseAMM(n, alpha, a, b, ldb, beta, c, ldc, ep)
}

// SparseAMM is the package-level SparseAMM on this implementation.
func (im *Impl) SparseAMM(n int, alpha float32, a *SparseA, b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	a.check()
	nonNegative("n", n)
	checkMatrix("b", a.k, n, b, ldb)
	checkMatrix("c", a.m, n, c, ldc)
	ep.check(a.m, n)
	im.sparse(false, a.m, n, a.k, alpha, nil, nil, nil, a, b, ldb, beta, c, ldc, &ep)
}

// SparseATMMTrans computes C = alpha·(Sᵀ·B)ᵀ + beta·C = alpha·Bᵀ·S +
// beta·C for S prepared in a (m×k): B is m×n, C n×k (leading dimension
// ldc). A weight gradient dW = dZᵀ·X (out×in) of a sparse X (N×in) is
// SparseATMMTrans of X prepared, with B = dZ (N×out): the same SparseA as
// the forward product's, and no transpose of X. As in Sgemm, beta == 0
// overwrites C without reading it and alpha == 0 only scales C by beta. C
// must not share memory with B.
func SparseATMMTrans(n int, alpha float32, a *SparseA, b []float32, ldb int, beta float32, c []float32, ldc int) {
	Default().SparseATMMTrans(n, alpha, a, b, ldb, beta, c, ldc)
}

// SparseATMMTrans is the package-level SparseATMMTrans on this
// implementation.
func (im *Impl) SparseATMMTrans(n int, alpha float32, a *SparseA, b []float32, ldb int, beta float32, c []float32, ldc int) {
	a.check()
	nonNegative("n", n)
	checkMatrix("b", a.m, n, b, ldb)
	checkMatrix("c", n, a.k, c, ldc)
	if a.k == 0 || n == 0 {
		return
	}
	if alpha == 0 || a.m == 0 {
		scaleMatrix(n, a.k, beta, c, ldc)
		return
	}
	t := newSparseTask()
	*t = sparseTask{im: im, trans: true, m: a.m, n: n, k: a.k, alpha: alpha, a: a, atrans: true,
		b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	// A task is a block of S's columns and a block of 8·vecs of C's
	// rows, the widest the kernel takes at once: each streams its part of
	// B once.
	t.per = 8 * sparseGroupVecs
	Parallel(a.kb*((n+t.per-1)/t.per), t)
	freeSparseTask(t)
}

// check panics unless a is prepared.
func (a *SparseA) check() {
	if a == nil || a.bounds == nil {
		panic("kernels: a is not prepared: call PrepareSparse first")
	}
}

// chunkPrepared computes the rows of S·B in slots [s0, s1) (whole
// groups, s0 a multiple of sparseGroup) into C, with the epilogue: the row-form
// groups row by row with SparseMM's kernel, then each run of grouped
// ones.
func (t *sparseTask) chunkPrepared(s0, s1 int) {
	a := t.a
	gr := sparseGroup
	g0, g1 := s0/gr, (s1+gr-1)/gr
	for g := g0; g < g1; g++ {
		f := a.first[g]
		if f < 0 {
			continue
		}
		for i, row := range a.rows[g*gr : min((g+1)*gr, t.m)] {
			if p := t.im.sp.block(t.c[int(row)*t.ldc:], t.ldc, a.roffs[f+i:], 1, 1, a.rcols, a.rvals, t.b, t.ldb, t.k, t.n, t.alpha, t.beta, scaleMode(t.beta)); p >= 0 {
				badColumn(a.rcols, p, t.k) // not reached: PrepareSparse checked them
			}
		}
	}
	for ga := g0; ga < g1; {
		if a.first[ga] >= 0 {
			ga++
			continue
		}
		gb := ga + 1
		for gb < g1 && a.first[gb] < 0 {
			gb++
		}
		groupBlocks(t.n, func(j, nv int, masked bool, tail int) {
			w := blockWidth(nv, masked, tail)
			bias, epi := t.groupEpilogue(j, w)
			t.im.sp.group(gr, t.c[j:], t.ldc, a.rows[ga*gr:], a.goffs[ga*(a.kb+1):], a.kb+1, a.kb, gb-ga, a.gcols, a.gvals,
				t.panels[j*t.k:], (w+7)&^7, t.k, w, t.alpha, t.beta, t.beta != 0, bias, epi)
		})
		ga = gb
	}
	if !t.epi {
		return
	}
	fused := t.groupFuses()
	for g := g0; g < g1; g++ { // the epilogue of the rows the grouped kernels did not apply it to
		if a.first[g] >= 0 || !fused {
			for _, row := range a.rows[g*gr : min((g+1)*gr, t.m)] {
				t.im.finishPart(&t.ep, t.c, t.ldc, int(row), 1, 0, t.n)
			}
		}
	}
}

// groupFuses reports whether the grouped kernels apply the epilogue in
// registers: all but tanh, which needs a register more than they have
// free, and which chunkPrepared applies row by row after them.
func (t *sparseTask) groupFuses() bool { return t.ep.Act != ActTanh }

// groupEpilogue returns the bias and epilogue code (see store) that the
// grouped kernels apply to C's column block [j, j+w): none when there is
// no epilogue or they do not fuse it.
func (t *sparseTask) groupEpilogue(j, w int) ([]float32, int) {
	if !t.epi || !t.groupFuses() {
		return nil, 0
	}
	return t.ep.code(0, t.m, j, w)
}

// groupBlocks calls do for each column block of w columns the grouped
// kernels take: at column j, nv whole vectors and, when masked, the
// partial one of tail lanes.
func groupBlocks(w int, do func(j, nv int, masked bool, tail int)) {
	full, tail := w/8, w%8
	for j := 0; full > 0 || tail > 0; {
		nv, masked := min(full, sparseGroupVecs), false
		if tail > 0 && full < sparseGroupVecs {
			nv, masked = full, true
		}
		do(j, nv, masked, tail)
		j += 8 * nv
		full -= nv
		if masked {
			tail = 0
		}
	}
}

// blockWidth returns the columns of a block groupBlocks makes: nv whole
// vectors and, when masked, tail more.
func blockWidth(nv int, masked bool, tail int) int {
	if masked {
		return 8*nv + tail
	}
	return 8 * nv
}

// groupPanelsLen returns the length of groupPanels' copy of a k×n B.
func groupPanelsLen(k, n int) int { return k * ((n + 7) &^ 7) }

// groupPanels copies B (k×n, row stride ldb) into dst as the column
// blocks of the grouped kernels (groupBlocks): the block at column j, w
// columns wide, at dst[j·k:] with row stride w rounded up to 8. A grouped
// kernel reads a row of its block for each column of a group's union, all
// over B: rows of 24 contiguous floats share cache lines and pages, where
// rows of B are n apart (measured: the forward product of MNIST's 5 vs 8,
// 196 units, 12% faster).
func groupPanels(dst, b []float32, ldb, k, n int) {
	groupBlocks(n, func(j, nv int, masked bool, tail int) {
		w := blockWidth(nv, masked, tail)
		ld := (w + 7) &^ 7
		panel := dst[j*k : j*k+k*ld]
		for p := range k {
			copy(panel[p*ld:p*ld+w], b[p*ldb+j:])
		}
	})
}

// blockATMM computes task i of SparseATMMTrans: block j of S's columns
// [p0, p1), C's rows [c0, c0+w). A tile of (p1−p0)×w, its rows padded to
// whole vectors, takes every row of S in slot order (a run of grouped
// groups at a time, a row-form row's nonzeros in the block one by one),
// then C takes the tile transposed.
func (t *sparseTask) blockATMM(i int) {
	a := t.a
	nch := (t.n + t.per - 1) / t.per
	j, c0 := i/nch, i%nch*t.per
	w := min(t.per, t.n-c0)
	p0, p1 := a.bounds[j], a.bounds[j+1]
	ldt := (w + 7) &^ 7
	tile := getScratch((p1 - p0) * ldt)
	defer putScratch(tile)
	clear(tile)
	b := t.b[c0:]
	groups := len(a.first)
	for ga := 0; ga < groups; {
		if f := a.first[ga]; f >= 0 {
			for r, row := range a.rows[ga*sparseGroup : min((ga+1)*sparseGroup, t.m)] {
				lo, hi := a.roffs[f+r], a.roffs[f+r+1]
				if len(a.rtab) > 0 {
					lo, hi = a.rtab[(f+r)*(a.kb+1)+j], a.rtab[(f+r)*(a.kb+1)+j+1]
				}
				brow := b[int(row)*t.ldb:][:w]
				for p := lo; p < hi; p++ {
					if col := int(a.rcols[p]); col >= p0 && col < p1 {
						t.im.vec.axpy(a.rvals[p], brow, tile[(col-p0)*ldt:][:w])
					}
				}
			}
			ga++
			continue
		}
		gb := ga + 1
		for gb < groups && a.first[gb] < 0 {
			gb++
		}
		t.im.sp.groupT(sparseGroup, tile, ldt, p0, p1, a.rows[ga*sparseGroup:], a.goffs[ga*(a.kb+1)+j:], a.kb+1, gb-ga, a.gcols, a.gvals, b, t.ldb, w)
		ga = gb
	}
	// C's rows [c0, c0+w), columns [p0, p1) = alpha·tileᵀ + beta·C.
	for r := range w {
		out := t.c[(c0+r)*t.ldc+p0 : (c0+r)*t.ldc+p1]
		if t.beta == 0 {
			for i := range out {
				out[i] = t.alpha * tile[i*ldt+r]
			}
			continue
		}
		for i := range out {
			out[i] = t.alpha*tile[i*ldt+r] + t.beta*out[i]
		}
	}
}
