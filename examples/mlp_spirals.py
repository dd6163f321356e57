"""A plain PyTorch training loop, watched by nntui: an MLP learns three interleaved spirals.

    python examples/mlp_spirals.py                  # writes runs/spirals/nntui.jsonl
    nntui view runs/spirals                         # in another terminal: live while it trains, or after

Only the three lines marked `# nntui` are nntui's; the rest is an ordinary loop.
"""

from __future__ import annotations

import argparse
import math
import time

import torch
from torch import nn

import nntui  # nntui


def spirals(n: int, classes: int = 3, noise: float = 0.15, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` points per class on `classes` interleaved spiral arms."""
    g = torch.Generator().manual_seed(seed)
    r = torch.linspace(0.1, 1.0, n).repeat(classes)
    arm = torch.arange(classes).repeat_interleave(n)
    angle = r * 4.0 + arm * (2 * math.pi / classes) + noise * torch.randn(n * classes, generator=g)
    x = torch.stack([r * torch.sin(angle), r * torch.cos(angle)], 1)
    return x, arm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--log-dir", default="runs/spirals")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds to wait after each step (slows a live demo)")
    args = parser.parse_args()

    torch.manual_seed(0)
    x, y = spirals(200, noise=0.3)
    val = torch.randperm(len(x))[:300]
    train = torch.ones(len(x), dtype=torch.bool)
    train[val] = False
    x_train, y_train, x_val, y_val = x[train], y[train], x[val], y[val]

    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    run = nntui.watch(model, optimizer, log_dir=args.log_dir, every=10, steps=args.steps)  # nntui

    for step in range(args.steps):
        batch = torch.randint(0, len(x_train), (64,))
        optimizer.zero_grad()
        loss = loss_fn(model(x_train[batch]), y_train[batch])
        loss.backward()
        optimizer.step()
        if step % 50 == 49:  # now and then: the loss and accuracy on points it never trains on
            model.eval()
            with torch.no_grad():
                logits = model(x_val)
                val_loss = loss_fn(logits, y_val)
                accuracy = (logits.argmax(1) == y_val).float().mean()
            model.train()
            run.step(loss, val_loss=val_loss, val_accuracy=accuracy)  # nntui
        else:
            run.step(loss)  # nntui
        time.sleep(args.pause)
        if step % 50 == 0:
            print(f"step {step}: loss {loss.item():.4f}")
    run.close()  # nntui
    print(f"trained {args.steps} steps: last loss {loss.item():.4f}, log in {args.log_dir}")


if __name__ == "__main__":
    main()
