# PyTorch's training steps of gofma's two reference workloads, for the
# "Many cores" comparison in README: the seed workload (MNIST 5 vs 8,
# 784-196-1 sigmoid, BCE with logits, full-batch SGD lr 0.1) and the
# everyday workload (all ten digits, 784-256-128-10 sigmoid, cross-entropy,
# Adam) on batches of 128 and 512, each timed on every thread count given
# (torch.set_num_threads), median of 3 timings after warm-up steps.
#
#   python3 bench/pytorch_steps.py MNIST_DIR 1,2,4,8,16
#
# MNIST_DIR holds train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz
# (the GoMNIST module's data folder). Needs torch and numpy.
import gzip, sys, time
import numpy as np
import torch

def load(d):
    with gzip.open(d + "/train-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(d + "/train-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return (x.astype(np.float32) / 255.0), y.astype(np.int64)

X, Y = load(sys.argv[1])
threads = [int(t) for t in sys.argv[2].split(",")]
print("torch", torch.__version__, "intra-op threads available", torch.get_num_threads(), flush=True)

m = (Y == 5) | (Y == 8)
xs = torch.from_numpy(X[m].copy()); ys = torch.from_numpy((Y[m] == 8).astype(np.float32)).unsqueeze(1)
xa = torch.from_numpy(X.copy()); ya = torch.from_numpy(Y.copy())

def seed(steps):
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(784, 196), torch.nn.Sigmoid(), torch.nn.Linear(196, 1))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    lossf = torch.nn.BCEWithLogitsLoss()
    def step():
        opt.zero_grad(set_to_none=True)
        loss = lossf(net(xs), ys); loss.backward(); opt.step()
    for _ in range(3): step()
    t = time.perf_counter()
    for _ in range(steps): step()
    return (time.perf_counter() - t) / steps

def everyday(batch, steps):
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.Sigmoid(), torch.nn.Linear(256, 128), torch.nn.Sigmoid(), torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(net.parameters())
    lossf = torch.nn.CrossEntropyLoss()
    perm = torch.randperm(60000)
    def step(i):
        idx = perm[(i * batch) % (60000 - batch):][:batch]
        opt.zero_grad(set_to_none=True)
        loss = lossf(net(xa[idx]), ya[idx]); loss.backward(); opt.step()
    for i in range(5): step(i)
    t = time.perf_counter()
    for i in range(steps): step(i)
    return (time.perf_counter() - t) / steps

for n in threads:
    torch.set_num_threads(n)
    s = [seed(10) for _ in range(3)]
    b128 = [everyday(128, 200) for _ in range(3)]
    b512 = [everyday(512, 60) for _ in range(3)]
    print(f"torch threads={n} seed_ms/step={1e3*np.median(s):.2f} everyday128_ms/step={1e3*np.median(b128):.3f} everyday512_ms/step={1e3*np.median(b512):.3f}", flush=True)
