package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// funcTask runs a function as a pool task.
type funcTask func(i int)

func (f funcTask) Do(i int) { f(i) }

// parallel runs f(0) … f(n-1) through the pool on up to threads threads.
func parallel(n, threads int, f func(i int)) { parallelTask(n, threads, funcTask(f)) }

// poolTimeout bounds every pool test that could deadlock.
const poolTimeout = 30 * time.Second

// within runs f and fails the test if it does not return within poolTimeout.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(poolTimeout):
		t.Fatalf("%s did not finish within %v: deadlock?", what, poolTimeout)
	}
}

// checkOnce fails the test unless every counter is exactly 1.
func checkOnce(t *testing.T, what string, counts []atomic.Int32) {
	t.Helper()
	for i := range counts {
		if c := counts[i].Load(); c != 1 {
			t.Errorf("%s: f(%d) ran %d times, want once", what, i, c)
			return
		}
	}
}

// TestParallelRunsEachIndexOnce checks that Parallel(n, t) has run every
// t.Do(i), i < n, exactly once when it returns, for any thread count.
func TestParallelRunsEachIndexOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		setThreads(t, threads)
		for _, n := range []int{0, 1, 2, 3, 5, 16, 100, 1000} {
			counts := make([]atomic.Int32, n)
			within(t, "parallel", func() {
				Parallel(n, funcTask(func(i int) { counts[i].Add(1) }))
			})
			checkOnce(t, "parallel", counts)
		}
	}
}

// TestParallelNested checks that parallel calls nested three deep, with
// more indices than threads, finish and run every index once.
func TestParallelNested(t *testing.T) {
	setThreads(t, 4)
	const n = 6
	counts := make([]atomic.Int32, n*n*n)
	within(t, "nested parallel", func() {
		parallel(n, Threads(), func(i int) {
			parallel(n, Threads(), func(j int) {
				parallel(n, Threads(), func(k int) { counts[(i*n+j)*n+k].Add(1) })
			})
		})
	})
	checkOnce(t, "nested parallel", counts)
}

// TestParallelConcurrent runs parallel from many goroutines at once.
func TestParallelConcurrent(t *testing.T) {
	setThreads(t, 3)
	const goroutines, reps, n = 8, 20, 37
	counts := make([]atomic.Int32, goroutines*reps*n)
	within(t, "concurrent parallel", func() {
		var wg sync.WaitGroup
		for g := 0; g < goroutines; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := 0; r < reps; r++ {
					base := (g*reps + r) * n
					parallel(n, Threads(), func(i int) { counts[base+i].Add(1) })
				}
			}()
		}
		wg.Wait()
	})
	checkOnce(t, "concurrent parallel", counts)
}

// TestParallelBusyPool checks that a job never waits on a busy pool: while
// another job's functions block (and hold whatever workers took them), a
// new parallel call still finishes, its caller doing the work.
func TestParallelBusyPool(t *testing.T) {
	setThreads(t, 2)
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	blocked := make(chan struct{})
	go func() {
		defer close(blocked)
		parallel(2, Threads(), func(int) {
			started <- struct{}{}
			<-release
		})
	}()
	<-started // at least one index of the blocking job is running
	counts := make([]atomic.Int32, 50)
	within(t, "parallel beside a blocked job", func() {
		parallel(len(counts), Threads(), func(i int) { counts[i].Add(1) })
	})
	checkOnce(t, "parallel beside a blocked job", counts)
	close(release)
	within(t, "the blocked job", func() { <-blocked })
}

// TestSetThreads checks SetThreads and Threads: SetThreads returns the
// previous setting, n <= 0 means GOMAXPROCS, and restoring the returned
// setting restores the thread count.
func TestSetThreads(t *testing.T) {
	orig := SetThreads(3)
	t.Cleanup(func() { SetThreads(orig) })
	if got := Threads(); got != 3 {
		t.Errorf("after SetThreads(3): Threads() = %d, want 3", got)
	}
	if prev := SetThreads(5); prev != 3 {
		t.Errorf("SetThreads(5) returned %d, want the previous setting 3", prev)
	}
	if got := Threads(); got != 5 {
		t.Errorf("after SetThreads(5): Threads() = %d, want 5", got)
	}
	procs := runtime.GOMAXPROCS(0)
	for _, n := range []int{0, -1, -100} {
		SetThreads(n)
		if got := Threads(); got != procs {
			t.Errorf("after SetThreads(%d): Threads() = %d, want GOMAXPROCS = %d", n, got, procs)
		}
	}
	// The default setting round-trips: SetThreads returns something that
	// means "GOMAXPROCS" again.
	def := SetThreads(2)
	if def > 0 {
		t.Errorf("SetThreads after SetThreads(-100) returned %d, want a value <= 0 (the default)", def)
	}
	SetThreads(def)
	if got := Threads(); got != procs {
		t.Errorf("after restoring the default: Threads() = %d, want GOMAXPROCS = %d", got, procs)
	}
	// Restoring the original setting restores the original thread count.
	SetThreads(orig)
	want := orig
	if want <= 0 {
		want = procs
	}
	if got := Threads(); got != want {
		t.Errorf("after restoring: Threads() = %d, want %d", got, want)
	}
}

// TestThreadsFollowsGOMAXPROCS checks that the default thread count tracks
// GOMAXPROCS when it changes.
func TestThreadsFollowsGOMAXPROCS(t *testing.T) {
	setThreads(t, 0)
	procs := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	for _, p := range []int{1, 3} {
		runtime.GOMAXPROCS(p)
		if got := Threads(); got != p {
			t.Errorf("GOMAXPROCS = %d: Threads() = %d, want %d", p, got, p)
		}
	}
}

// BenchmarkParallelHandoff measures how long a job waits for a pool worker
// to start on it when jobs come back to back, as in a training step: with
// both parts working, the caller's the longer (the worker is idle between
// jobs) or the worker's (the caller waits for it at the end of each job, and
// must not give up its processor doing so).
func BenchmarkParallelHandoff(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs GOMAXPROCS >= 2")
	}
	for _, longer := range []string{"caller", "worker"} {
		b.Run("longer="+longer, func(b *testing.B) {
			long := 0 // the index that works 60 µs; the other works 50 µs
			if longer == "worker" {
				long = 1
			}
			var wait time.Duration
			for b.Loop() {
				var started time.Duration
				t0 := time.Now()
				parallel(2, 2, func(i int) {
					if i == 1 {
						started = time.Since(t0)
					}
					d := 50 * time.Microsecond
					if i == long {
						d = 60 * time.Microsecond
					}
					for time.Since(t0) < d {
					}
				})
				wait += started
			}
			b.ReportMetric(float64(wait.Nanoseconds())/float64(b.N)/1e3, "µs-wait/op")
		})
	}
}

// TestSgemmAllocatesNothing checks that a steady-state Sgemm and
// SgemmEpilogue, threaded or not, allocate nothing: the pool recycles its
// jobs and the driver its call state and workspaces.
func TestSgemmAllocatesNothing(t *testing.T) {
	m, n, k := 196, 2000, 300
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	prev := SetThreads(1)
	t.Cleanup(func() { SetThreads(prev) })
	for _, threads := range []int{1, 2} {
		SetThreads(threads)
		gemm := func() { Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) }
		fused := func() {
			SgemmEpilogue(false, true, m, n, k, 1, a, k, b, k, 0, c, n, Epilogue{Act: ActSigmoid})
		}
		gemm()
		if got := testing.AllocsPerRun(10, gemm); got != 0 {
			t.Errorf("threads=%d: Sgemm allocates %v times per call, want 0", threads, got)
		}
		if got := testing.AllocsPerRun(10, fused); got != 0 {
			t.Errorf("threads=%d: SgemmEpilogue allocates %v times per call, want 0", threads, got)
		}
	}
}

// TestParallelStaleAnnouncements runs many short loops back to back, so
// that workers often receive the announcement of a job its caller already
// finished and reused: every index of every loop must still run once.
func TestParallelStaleAnnouncements(t *testing.T) {
	const loops, n = 2000, 5
	var counts [loops * n]atomic.Int32
	for l := 0; l < loops; l++ {
		parallel(n, 4, func(i int) { counts[l*n+i].Add(1) })
	}
	for i := range counts {
		if c := counts[i].Load(); c != 1 {
			t.Fatalf("index %d of loop %d ran %d times", i%n, i/n, c)
		}
	}
}

// TestParallelPanic checks that a panicking Do reaches the caller of
// Parallel, once, only after every started index has finished, whether it
// runs on a pool worker or on the calling goroutine, and that the pool
// runs the next loop whole. The first index taken blocks until a second
// one starts, which is then on another goroutine: that needs a worker to
// take the job's announcement, so the test first waits until the workers
// have taken every earlier one (a full queue drops announcements).
func TestParallelPanic(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs GOMAXPROCS >= 2")
	}
	parallel(2, 2, func(int) {}) // at least one worker
	pool.mu.Lock()
	ch := pool.jobs
	pool.mu.Unlock()
	for _, where := range []string{"second", "first"} {
		t.Run("panics="+where, func(t *testing.T) {
			for deadline := time.Now().Add(poolTimeout); len(ch) > 0 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			var started, finished atomic.Int32
			f := func(i int) {
				n := started.Add(1)
				if n == 1 {
					deadline := time.Now().Add(poolTimeout)
					for started.Load() < 2 && time.Now().Before(deadline) {
						runtime.Gosched()
					}
					if where == "first" {
						panic("boom")
					}
					time.Sleep(10 * time.Millisecond)
				} else if n == 2 {
					if where == "second" {
						panic("boom")
					}
					time.Sleep(20 * time.Millisecond) // outlives the first index's panic
				}
				finished.Add(1)
			}
			var got any
			panics := 0
			within(t, "a panicking loop", func() {
				defer func() {
					got = recover()
					if got != nil {
						panics++
					}
				}()
				parallel(64, 2, f)
			})
			if panics != 1 || got != "boom" {
				t.Fatalf("recovered %v %d times, want \"boom\" once", got, panics)
			}
			if s, d := started.Load(), finished.Load(); d != s-1 {
				t.Errorf("%d indices started but %d finished when Parallel panicked, want all but the panicking one", s, d)
			}
			var counts [100]atomic.Int32
			within(t, "the next loop", func() { parallel(len(counts), 2, func(i int) { counts[i].Add(1) }) })
			checkOnce(t, "after a panic", counts[:])
		})
	}
}

// TestParallelLongLoop checks that Parallel runs every index of a loop
// longer than one job holds exactly once (it used to panic with "parallel
// loop too long"; mlp reaches such loops with mini-batches of over 2^25
// samples).
func TestParallelLongLoop(t *testing.T) {
	setThreads(t, 3)
	counts := make([]atomic.Int32, 2*maxIndex+5)
	within(t, "a long loop", func() {
		Parallel(len(counts), funcTask(func(i int) { counts[i].Add(1) }))
	})
	checkOnce(t, "a loop of 2*maxIndex+5 indices", counts)
}

// TestSetThreadsRetiresWorkers checks that lowering the thread count lets
// the workers beyond it end, so that a large count set once does not keep
// its goroutines for the life of the process.
func TestSetThreadsRetiresWorkers(t *testing.T) {
	setThreads(t, 2)
	parallel(2, 2, func(int) {}) // the pool has its one worker for 2 threads
	base := runtime.NumGoroutine()
	SetThreads(64)
	var counts [64]atomic.Int32
	within(t, "a loop on 64 threads", func() {
		Parallel(len(counts), funcTask(func(i int) {
			counts[i].Add(1)
			time.Sleep(time.Millisecond) // keep the workers busy so that many start
		}))
	})
	if n := runtime.NumGoroutine(); n < base+32 {
		t.Fatalf("%d goroutines on 64 threads, %d on 2: the test did not start workers", n, base)
	}
	SetThreads(2)
	deadline := time.Now().Add(poolTimeout)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		t.Errorf("%d goroutines %v after SetThreads(2), %d before SetThreads(64): the extra workers did not retire", n, poolTimeout, base)
	}
	within(t, "a loop after retiring", func() { parallel(len(counts), 2, func(i int) { counts[i].Add(1) }) })
	for i := range counts {
		if c := counts[i].Load(); c != 2 {
			t.Fatalf("f(%d) ran %d times in two loops, want twice", i, c)
		}
	}
}
