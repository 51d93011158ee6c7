"""PyTorch side of `npm run bench:compare`: one workload, one measurement, one JSON line.

Run by bench/compare.ts as:  python3 torch_bench.py <workload> <threads> <seconds>
and by `npm run bench -- --device cuda` as:  python3 torch_bench.py <workload> 0 <seconds> cuda
(on the GPU: model and data on the device, eager mode, float32 matmuls without TF32, timing
ends with torch.cuda.synchronize()).
PyTorch at its fairest on this machine: OPENBLAS_NUM_THREADS=1 (set by the caller; Debian's
torch calls OpenBLAS, whose own threads fight torch's pool), set_flush_denormal, gradients
zeroed in place, batches gathered by index from tensors already in memory, like gradloop.
"""
import json
import resource
import sys
import time

import torch
import torch.nn as nn

WORKLOADS = {
    # name: (layer sizes or 'embedding', optimizer, batch size)
    "W1": ([784, 512, 512, 10], "adam", 128),
    "W2": ([784, 128, 10], "sgd", 32),
    "W3": ([784, 1024, 1024, 1024, 10], "adam", 256),
    "W4": ("embedding", "adam", 256),
    "W5": ([4096, 4096, 4096, 4096, 10], "adam", 1024),
    "W6": ("gpt", "adamw", 32),
    "W7": ("lstm", "adam", 32),
    "W8": ("cnn", "adam", 32),
}


# is_causal (PyTorch 2.0+) lets attention take its causal fast path; 1.13 (Debian 12's) has only the mask.
CAUSAL_HINT = {"is_causal": True} if int(torch.__version__.split(".")[0]) >= 2 else {}


class Block(nn.Module):
    """A pre-LN transformer block as bench/workloads.ts's W6 builds it: causal attention, a 4x gelu MLP."""
    def __init__(self, d, heads):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attention = nn.MultiheadAttention(d, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, mask):
        h = self.ln1(x)
        x = x + self.attention(h, h, h, attn_mask=mask, need_weights=False, **CAUSAL_HINT)[0]
        return x + self.mlp(self.ln2(x))


class Gpt(nn.Module):
    """W6: vocabulary 65, context 64, d 128, 4 heads, 4 blocks; logits at every position."""
    def __init__(self, vocabulary=65, context=64, d=128, heads=4, blocks=4):
        super().__init__()
        self.tokens, self.positions = nn.Embedding(vocabulary, d), nn.Embedding(context, d)
        self.blocks = nn.ModuleList([Block(d, heads) for _ in range(blocks)])
        self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocabulary)
        self.register_buffer("mask", torch.triu(torch.full((context, context), float("-inf")), 1))

    def forward(self, ids):
        x = self.tokens(ids) + self.positions(torch.arange(ids.shape[1], device=ids.device))
        for block in self.blocks:
            x = block(x, self.mask)
        return self.head(self.ln(x)).reshape(-1, 65)


class Lstm(nn.Module):
    """W7: nn.LSTM, 2 layers of 256 over 64 steps of 32 features, the last step's output classified."""
    def __init__(self):
        super().__init__()
        self.lstm, self.head = nn.LSTM(32, 256, num_layers=2, batch_first=True), nn.Linear(256, 10)

    def forward(self, x):
        return self.head(self.lstm(x.reshape(-1, 64, 32))[0][:, -1])


def mnist_cnn():
    """bench/workloads.ts's W8 (examples/mnist-cnn.ts): Keras' batch-norm defaults in PyTorch's terms."""
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, bias=False), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(nn.Unflatten(1, (1, 28, 28)), *block(1, 32), *block(32, 64), nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))


def build(name, device="cpu"):
    sizes, opt, batch = WORKLOADS[name]
    if sizes == "gpt":
        model = Gpt()
        x = torch.randint(0, 65, (batch * 64, 64))
        y = torch.randint(0, 65, (batch * 64 * 64,)).reshape(batch * 64, 64)
    elif sizes == "lstm":
        model = Lstm()
        x = torch.rand(batch * 64, 64 * 32)
        y = torch.randint(0, 10, (batch * 64,))
    elif sizes == "cnn":
        model = mnist_cnn()
        x = torch.rand(batch * 64, 784)
        y = torch.randint(0, 10, (batch * 64,))
    elif sizes == "embedding":
        model = nn.Sequential(nn.Embedding(65, 32), nn.Flatten(), nn.Linear(256, 256), nn.Tanh(), nn.Linear(256, 65))
        x = torch.randint(0, 65, (batch * 64, 8))
        y = torch.randint(0, 65, (batch * 64,))
    else:
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        model = nn.Sequential(*layers)
        x = torch.rand(batch * 64, sizes[0])
        y = torch.randint(0, sizes[-1], (batch * 64,))
    model, x, y = model.to(device), x.to(device), y.to(device)
    if opt == "adamw":
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
    elif opt == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return model, optimizer, x, y, batch


def main():
    name, threads, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    device = sys.argv[4] if len(sys.argv) > 4 else "cpu"
    if threads > 0:
        torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(1)
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False  # float32, as gradloop's default
    model, optimizer, x, y, batch = build(name, device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]

    def run(stop_after):
        steps = 0
        start = time.perf_counter()
        while True:
            order = torch.randperm(n, device=x.device)
            for s in range(0, n, batch):
                idx = order[s:s + batch]
                optimizer.zero_grad(set_to_none=False)
                loss = loss_fn(model(x[idx]), y[idx].reshape(-1))
                loss.backward()
                optimizer.step()
                steps += 1
                if steps % 16 == 0 or device != "cuda":
                    if device == "cuda":
                        sync()
                    if time.perf_counter() - start >= stop_after:
                        sync()
                        return steps, time.perf_counter() - start

    run(0.5)  # warm-up
    steps, elapsed = run(seconds)
    print(json.dumps({
        "system": "pytorch", "workload": name, "threads": threads, "device": device, "steps": steps,
        "samplesPerSec": steps * batch / elapsed,
        **({"tokensPerSec": steps * batch * 64 / elapsed} if name == "W6" else {}),
        "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "version": torch.__version__,
    }))


if __name__ == "__main__":
    main()
