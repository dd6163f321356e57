"""A plain PyTorch training loop, watched by nntui: a small CNN tells horizontal bars, vertical bars and crosses
apart in noisy 16×16 images.

    python examples/cnn_bars.py                     # writes runs/bars/nntui.jsonl
    nntui view runs/bars                            # live while it trains, or after

Only the lines marked `# nntui` are nntui's.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

import nntui  # nntui

SIZE = 16


def bars(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` images: class 0 a horizontal bar, 1 a vertical bar, 2 both (a cross), anywhere, in noise."""
    g = torch.Generator().manual_seed(seed)
    images = 0.6 * torch.randn(n, 1, SIZE, SIZE, generator=g)
    labels = torch.randint(0, 3, (n,), generator=g)
    rows = torch.randint(2, SIZE - 2, (n,), generator=g)
    cols = torch.randint(2, SIZE - 2, (n,), generator=g)
    for k in range(n):
        if labels[k] in (0, 2):
            images[k, 0, rows[k], 2:SIZE - 2] += 1.0
        if labels[k] in (1, 2):
            images[k, 0, 2:SIZE - 2, cols[k]] += 1.0
    return images, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--log-dir", default="runs/bars")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds to wait after each step (slows a live demo)")
    args = parser.parse_args()

    torch.manual_seed(0)
    x_train, y_train = bars(2000, seed=0)
    x_val, y_val = bars(300, seed=1)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # 8 × 8×8
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 × 4×4
        nn.Flatten(), nn.Linear(16 * 4 * 4, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    run = nntui.watch(model, optimizer, log_dir=args.log_dir, every=5, steps=args.steps)  # nntui

    for step in range(args.steps):
        batch = torch.randint(0, len(x_train), (32,))
        optimizer.zero_grad()
        logits = model(x_train[batch])
        loss = loss_fn(logits, y_train[batch])
        loss.backward()
        optimizer.step()
        if step % 25 == 24:
            model.eval()
            with torch.no_grad():
                val_logits = model(x_val)
                val_loss = loss_fn(val_logits, y_val)
                val_accuracy = (val_logits.argmax(1) == y_val).float().mean()
            model.train()
            accuracy = (logits.argmax(1) == y_train[batch]).float().mean()
            run.step(loss, val_loss=val_loss, accuracy=accuracy, val_accuracy=val_accuracy)  # nntui
        else:
            run.step(loss)  # nntui
        time.sleep(args.pause)
        if step % 25 == 0:
            print(f"step {step}: loss {loss.item():.4f}")
    run.close()  # nntui
    print(f"trained {args.steps} steps: last loss {loss.item():.4f}, log in {args.log_dir}")


if __name__ == "__main__":
    main()
