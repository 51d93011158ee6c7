"""Accuracy parity, PyTorch side: the same W1-shaped MLP, data split, initialization and hyperparameters
as bench/accuracy-child.ts (784-512-512-10 relu, Adam 1e-3, batch 128, 5 epochs); prints the test accuracy.
    python3 torch_accuracy.py <seed> <dir with xTrain.bin yTrain.bin xTest.bin yTest.bin>
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

seed, folder = int(sys.argv[1]), sys.argv[2]
torch.manual_seed(seed)
torch.set_flush_denormal(True)
load = lambda name, dtype: torch.from_numpy(np.fromfile(os.path.join(folder, name + ".bin"), dtype=dtype).copy())
x_train, y_train = load("xTrain", np.float32).view(-1, 784), load("yTrain", np.int32).long()
x_test, y_test = load("xTest", np.float32).view(-1, 784), load("yTest", np.int32).long()

model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
# The same initialization as gradloop's (and Keras') defaults, glorot-uniform weights and zero
# biases, so that the comparison is of the training, not of two init schemes.
for layer in model:
    if isinstance(layer, nn.Linear):
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
n = x_train.shape[0]
for epoch in range(5):
    order = torch.randperm(n)
    for s in range(0, n, 128):
        idx = order[s:s + 128]
        optimizer.zero_grad(set_to_none=False)
        loss_fn(model(x_train[idx]), y_train[idx]).backward()
        optimizer.step()
with torch.no_grad():
    accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
print(json.dumps({"system": "pytorch", "seed": seed, "accuracy": accuracy}))
