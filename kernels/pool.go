package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool: persistent goroutines that help with parallel jobs. A
// job's caller always works on it too and the workers only help, taking
// indices from a shared counter, so jobs never wait on a busy pool and
// nested or concurrent calls cannot deadlock.
//
// Jobs are recycled, so a parallel call allocates nothing. A job announced
// on the channel may reach a worker only after its caller has finished it
// and reused it for another loop; the generation in the job's state word
// tells such a worker that its announcement is stale.
var pool struct {
	mu      sync.Mutex
	threads int // 0 means GOMAXPROCS
	workers int // goroutines started and not told to retire
	jobs    chan jobRef
	free    []*job // finished jobs, for reuse
}

// Task is the body of a parallel loop: Do(i) computes part i of the work.
// Parts must be independent of each other; Do is called at most once for
// each i, on any thread. Do may panic (see Parallel) but must not call
// runtime.Goexit.
type Task interface{ Do(i int) }

// job is one parallel loop over indices [0, n). state packs the
// generation (bits 40–63), n (bits 20–39) and the next index (bits 0–19);
// an index is taken by a compare-and-swap on the whole word, so a stale
// worker can never take one of a later loop.
type job struct {
	t     Task
	state atomic.Uint64
	left  atomic.Int64 // indices not yet finished, for the caller's spin (await)
	done  sync.WaitGroup
	// panicked holds the first panic's value, re-raised by the caller; once
	// it is set, the indices not yet started are skipped.
	panicked atomic.Pointer[any]
}

// jobRef announces generation gen of a job to the workers; a jobRef with
// a nil job tells the worker that takes it to retire.
type jobRef struct {
	j   *job
	gen uint64
}

const (
	idxBits  = 20
	idxMask  = 1<<idxBits - 1
	maxIndex = idxMask // most loop indices per job
)

// help runs indices of generation gen until none is left.
func (j *job) help(gen uint64) {
	for {
		s := j.state.Load()
		next, n := s&idxMask, s>>idxBits&idxMask
		if s>>(2*idxBits) != gen || next >= n {
			return
		}
		if j.state.CompareAndSwap(s, s+1) {
			j.run(int(next))
			j.left.Add(-1)
			j.done.Done()
		}
	}
}

// run calls t.Do(i) unless an index has panicked, and keeps the first
// panic for the caller: a panic must not end a worker (that would end the
// process) nor unwind the caller while other threads still run the job.
func (j *job) run(i int) {
	if j.panicked.Load() != nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			v := r // only a panic allocates
			j.panicked.CompareAndSwap(nil, &v)
		}
	}()
	j.t.Do(i)
}

// SetThreads sets the number of threads kernels may use; n <= 0 means
// GOMAXPROCS (the default). It returns the previous setting. Workers
// beyond the new count retire once they are idle.
func SetThreads(n int) int {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	prev := pool.threads
	pool.threads = max(n, 0)
	t := pool.threads
	if t == 0 {
		t = runtime.GOMAXPROCS(0)
	}
	if extra := pool.workers - (t - 1); extra > 0 {
		pool.workers -= extra
		// Another goroutine sends the notices, so that SetThreads never
		// waits for a busy pool, even when a task calls it.
		go func(ch chan jobRef) {
			for range extra {
				ch <- jobRef{}
			}
		}(pool.jobs)
	}
	return prev
}

// Threads returns the number of threads kernels use now.
func Threads() int {
	pool.mu.Lock()
	t := pool.threads
	pool.mu.Unlock()
	if t == 0 {
		t = runtime.GOMAXPROCS(0)
	}
	return t
}

// Parallel runs t.Do(0) … t.Do(n-1) on the shared worker pool, on up to
// Threads() threads (the caller's among them), and returns when all have
// finished. It allocates nothing once the pool is warm, so pass a pointer
// to a long-lived task. Calls may nest and run concurrently. When a Do
// panics, the indices not yet started are skipped, and Parallel panics
// with the first panic's value once every started index has finished, on
// the caller's goroutine, where it can be recovered; the pool stays
// usable. Any n is allowed; a loop of more than 1<<20 - 1 indices runs as
// several loops one after another.
func Parallel(n int, t Task) {
	if n > 1 {
		parallelTask(n, Threads(), t)
	} else if n == 1 {
		t.Do(0)
	}
}

// parallelTask runs t.Do(0) … t.Do(n-1) on up to threads threads (the
// caller's and pool workers) and returns when all have finished; it
// allocates nothing once the pool has a finished job to reuse.
func parallelTask(n, threads int, t Task) {
	if n <= 1 {
		if n == 1 {
			t.Do(0)
		}
		return
	}
	if n > maxIndex {
		for lo := 0; lo < n; lo += maxIndex {
			parallelTask(min(maxIndex, n-lo), threads, &shifted{t, lo})
		}
		return
	}
	helpers := min(n, threads) - 1
	ch, j, gen := startJob(helpers, n, t)
	for w := 0; w < helpers; w++ {
		select {
		case ch <- jobRef{j, gen}:
		default: // every worker is busy: the caller does the rest
		}
	}
	j.help(gen)
	j.await()
	p := j.panicked.Swap(nil)
	j.t = nil
	pool.mu.Lock()
	pool.free = append(pool.free, j)
	pool.mu.Unlock()
	if p != nil {
		panic(*p)
	}
}

// shifted is a part of a loop too long for one job: Do(i) is t.Do(lo+i).
type shifted struct {
	t  Task
	lo int
}

// Do runs index lo+i of the whole loop.
func (s *shifted) Do(i int) { s.t.Do(s.lo + i) }

// startJob starts workers until at least helpers run and returns the job
// queue and a job (new or reused) set up for generation gen of the loop.
func startJob(helpers, n int, t Task) (chan jobRef, *job, uint64) {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if pool.jobs == nil {
		pool.jobs = make(chan jobRef, 256)
	}
	for ; pool.workers < helpers; pool.workers++ {
		go worker(pool.jobs)
	}
	var j *job
	if k := len(pool.free); k > 0 {
		j, pool.free = pool.free[k-1], pool.free[:k-1]
	} else {
		j = new(job)
	}
	gen := (j.state.Load()>>(2*idxBits) + 1) & (1<<(64-2*idxBits) - 1)
	j.t = t
	j.left.Store(int64(n))
	j.done.Add(n)
	j.state.Store(gen<<(2*idxBits) | uint64(n)<<idxBits) // publishes t: workers read it after a CAS
	return pool.jobs, j, gen
}

// await returns when every index of the job has finished. It spins for up
// to spinTime before it blocks: a caller that parks hands its processor to
// the worker that wakes it, and the worker's next job then waits for an
// idle thread to wake (22 µs median on the development VM, against 1 µs).
func (j *job) await() {
	spin(func() bool { return j.left.Load() == 0 })
	j.done.Wait() // also orders the last Done before the job's reuse
}

// spinTime is how long a worker polls for the next job, and a caller for
// its helpers to finish, before it blocks. Waking a blocked thread took
// 90 µs (median) on the 2-vCPU development VM, against 1 µs for a polling
// one: longer than the gaps between the kernels of a training step.
// Polling costs at most this much CPU after each job.
const spinTime = time.Millisecond

// spin polls ready until it reports true or about spinTime has passed,
// and returns its last answer. It reads the clock only every clockEvery
// polls, the first time to set the deadline, so a wait that is already
// over reads no clock; and it yields the processor only every yieldEvery
// polls: a yield puts the goroutine on the global run queue and may wake
// an idle thread to take it, which costs more than the polling saves.
func spin(ready func() bool) bool {
	const (
		clockEvery = 1 << 8  // polls between looks at the clock (≈ 1 µs)
		yieldEvery = 1 << 15 // polls between yields (≈ 100 µs)
	)
	var deadline time.Time
	for i := 1; ; i++ {
		if ready() {
			return true
		}
		if i%clockEvery == 0 {
			if now := time.Now(); deadline.IsZero() {
				deadline = now.Add(spinTime)
			} else if now.After(deadline) {
				return false
			}
			if i%yieldEvery == 0 {
				runtime.Gosched()
			}
		}
	}
}

// worker helps with the jobs announced on ch until it is told to retire.
func worker(ch chan jobRef) {
	for {
		var r jobRef
		select {
		case r = <-ch:
		default:
			r = poll(ch)
		}
		if r.j == nil {
			return
		}
		r.j.help(r.gen)
	}
}

// poll waits for a job, spinning for spinTime, then blocking.
func poll(ch chan jobRef) jobRef {
	var r jobRef
	if spin(func() bool {
		if len(ch) == 0 {
			return false
		}
		select {
		case r = <-ch:
			return true
		default: // another worker took it
			return false
		}
	}) {
		return r
	}
	return <-ch
}
